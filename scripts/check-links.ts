/**
 * `npm run lint` runs this: every relative link in README.md and docs/*.md names a file that
 * exists, and a `#fragment` names a heading of that file (GitHub's anchor of it). External
 * links (http, mailto) are not fetched: CI has no network but the package registries.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

function anchors(file: string): Set<string> {
  const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1] ?? "")));
}

/** The broken links of one markdown file, as messages. */
export function brokenLinks(file: string): string[] {
  const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
  const broken: string[] = [];
  for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const link = match[1] ?? "";
    if (/^[a-z]+:/i.test(link)) continue;
    const [target = "", fragment] = link.split("#");
    const resolved = target ? path.resolve(path.dirname(file), target) : file;
    if (!existsSync(resolved)) broken.push(`${path.relative(ROOT, file)}: ${link} (no such file)`);
    else if (fragment && resolved.endsWith(".md") && !anchors(resolved).has(fragment))
      broken.push(`${path.relative(ROOT, file)}: ${link} (no such heading)`);
  }
  return broken;
}

const files = [
  path.join(ROOT, "README.md"),
  ...readdirSync(path.join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => path.join(ROOT, "docs", f)),
];
const broken = files.flatMap(brokenLinks);
if (broken.length > 0) {
  console.error(`check-links: broken links:\n  ${broken.join("\n  ")}`);
  process.exit(1);
}
console.log(`check-links: every relative link in ${files.length} files resolves`);
