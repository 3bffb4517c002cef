import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { AxeResults } from "axe-core";
import type { Page } from "playwright-core";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * axe-core's serious and critical violations on the page as it is now (WCAG 2.x A/AA and best
 * practices), one line each with the offending elements. axe is evaluated through the DevTools
 * protocol, which the page's CSP does not govern: the page keeps its real policy while tested.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } }
    ).axe;
    const results = await axe.run(document, { resultTypes: ["violations"] });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? "",
      targets: v.nodes.map((n) => n.target.join(" ")),
    }));
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.targets.join(", ")}`);
}

/**
 * Uncaught errors and Content-Security-Policy violations the page reports, and error statuses
 * of the page's own requests (its script's calls: a document's 404 or 410 is the test's to check,
 * and Chromium's console line for it is not counted as an error).
 */
export function watchProblems(page: Page) {
  const errors: string[] = [];
  const cspViolations: string[] = [];
  const failedCalls: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const text = message.text();
    if (/Content Security Policy/i.test(text)) cspViolations.push(text);
    else if (!text.startsWith("Failed to load resource: the server responded with a status of"))
      errors.push(text);
  });
  page.on("response", (response) => {
    if (response.status() >= 400 && response.request().resourceType() !== "document") {
      failedCalls.push(`${response.status()} ${response.request().method()} ${response.url()}`);
    }
  });
  return { errors, cspViolations, failedCalls };
}
