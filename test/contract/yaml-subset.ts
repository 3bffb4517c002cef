// A parser for the subset of YAML that the seed OpenAPI document uses (no YAML library is
// installed, and none may be added): block mappings, block sequences (of scalars and of
// mappings), plain / single-quoted / double-quoted scalars, the flow collections `[]`, `{}` and
// `[a, b]`, and block scalars (`|`, `>`, with `-`/`+` chomping). Anything else (anchors, tags,
// multi-line plain scalars, ...) throws rather than being parsed wrongly, so a change of the
// seed that this parser does not understand fails the contract tests loudly.

export type YamlValue = string | number | boolean | null | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  indent: number;
  text: string;
  raw: string;
  number: number;
}

const KEY =
  /^('(?:[^']|'')*'|"(?:[^"\\]|\\.)*"|[^\s'"\-?:,[\]{}#&*!|>%@`][^:#]*?|-[^\s:#][^:#]*?)\s*:(?:\s+|$)/;

function isBlank(raw: string): boolean {
  const trimmed = raw.trim();
  return trimmed === "" || trimmed.startsWith("#");
}

function unquoteKey(key: string): string {
  if (key.startsWith("'")) return key.slice(1, -1).replace(/''/g, "'");
  if (key.startsWith('"')) return JSON.parse(key) as string;
  return key;
}

function splitFlow(inner: string): string[] {
  const items: string[] = [];
  let current = "";
  let quote: string | null = null;
  for (const ch of inner) {
    if (quote) {
      current += ch;
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      current += ch;
    } else if (ch === "[" || ch === "{") {
      throw new Error(`yaml-subset: nested flow collections are not supported: [${inner}]`);
    } else if (ch === ",") {
      items.push(current.trim());
      current = "";
    } else {
      current += ch;
    }
  }
  if (current.trim() !== "") items.push(current.trim());
  return items;
}

export function parseScalar(text: string): YamlValue {
  const value = text.trim();
  if (value.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(value)) throw new Error(`yaml-subset: bad single-quoted scalar ${value}`);
    return value.slice(1, -1).replace(/''/g, "'");
  }
  if (value.startsWith('"')) return JSON.parse(value) as string;
  if (value.startsWith("[")) {
    if (!value.endsWith("]")) throw new Error(`yaml-subset: multi-line flow sequence: ${value}`);
    return splitFlow(value.slice(1, -1)).map(parseScalar);
  }
  if (value.startsWith("{")) {
    if (value !== "{}") throw new Error(`yaml-subset: only the empty flow mapping is supported: ${value}`);
    return {};
  }
  if (/^[&*!|>%@`]/.test(value)) throw new Error(`yaml-subset: unsupported construct: ${value}`);
  const plain = value.replace(/\s+#.*$/, "");
  if (plain === "" || plain === "~" || plain === "null") return null;
  if (plain === "true") return true;
  if (plain === "false") return false;
  if (/^-?(0|[1-9]\d*)$/.test(plain)) return Number(plain);
  if (/^-?(0|[1-9]\d*)\.\d+$/.test(plain)) return Number(plain);
  return plain;
}

class Parser {
  private index = 0;

  constructor(private readonly lines: Line[]) {}

  /** The next line with content, skipping blank lines and comments. */
  private peek(): Line | undefined {
    while (this.index < this.lines.length) {
      const line = this.lines[this.index];
      if (line && !isBlank(line.raw)) return line;
      this.index++;
    }
    return undefined;
  }

  parseDocument(): YamlValue {
    const first = this.peek();
    if (!first) return null;
    const value = this.parseNode(first.indent);
    const rest = this.peek();
    if (rest) throw new Error(`yaml-subset: unexpected line ${rest.number}: ${rest.raw}`);
    return value;
  }

  /** A block node whose lines are indented exactly `indent`. */
  private parseNode(indent: number): YamlValue {
    const line = this.peek();
    if (!line || line.indent !== indent) throw new Error(`yaml-subset: expected a node at indent ${indent}`);
    return line.text === "-" || line.text.startsWith("- ")
      ? this.parseSequence(indent)
      : this.parseMapping(indent);
  }

  private parseMapping(indent: number): { [key: string]: YamlValue } {
    const result: { [key: string]: YamlValue } = {};
    for (let line = this.peek(); line && line.indent === indent; line = this.peek()) {
      if (line.text === "-" || line.text.startsWith("- ")) break;
      const match = KEY.exec(line.text);
      if (!match?.[1]) throw new Error(`yaml-subset: expected "key:" on line ${line.number}: ${line.raw}`);
      const key = unquoteKey(match[1].trim());
      if (Object.hasOwn(result, key))
        throw new Error(`yaml-subset: duplicate key ${key} on line ${line.number}`);
      const rest = line.text.slice(match[0].length);
      this.index++;
      result[key] = this.parseValue(rest, indent, line.number);
    }
    const next = this.peek();
    if (next && next.indent > indent) {
      throw new Error(`yaml-subset: unexpected indentation on line ${next.number}: ${next.raw}`);
    }
    return result;
  }

  private parseSequence(indent: number): YamlValue[] {
    const result: YamlValue[] = [];
    for (let line = this.peek(); line && line.indent === indent; line = this.peek()) {
      if (!(line.text === "-" || line.text.startsWith("- "))) break;
      const rest = line.text === "-" ? "" : line.text.slice(2);
      const restIndent = indent + 2 + (rest.length - rest.trimStart().length);
      if (rest.trim() !== "" && KEY.test(rest.trimStart())) {
        // "- key: value": a mapping whose first key sits after the dash.
        this.lines[this.index] = { ...line, indent: restIndent, text: rest.trimStart() };
        result.push(this.parseMapping(restIndent));
      } else {
        this.index++;
        result.push(this.parseValue(rest, indent, line.number));
      }
    }
    const next = this.peek();
    if (next && next.indent > indent) {
      throw new Error(`yaml-subset: unexpected indentation on line ${next.number}: ${next.raw}`);
    }
    return result;
  }

  /** The value after "key:" or "- " on a line of the node at `indent`. */
  private parseValue(rest: string, indent: number, lineNumber: number): YamlValue {
    const text = rest.trim();
    if (/^[|>]/.test(text)) return this.parseBlockScalar(text, indent, lineNumber);
    if (text !== "" && !text.startsWith("#")) return parseScalar(text);
    const next = this.peek();
    if (!next || next.indent < indent) return null;
    if (next.indent > indent) return this.parseNode(next.indent);
    // A sequence may sit at its key's own indentation.
    if (next.text === "-" || next.text.startsWith("- ")) return this.parseSequence(indent);
    return null;
  }

  private parseBlockScalar(header: string, parentIndent: number, lineNumber: number): string {
    const match = /^([|>])([-+]?)\s*(#.*)?$/.exec(header);
    if (!match)
      throw new Error(`yaml-subset: unsupported block scalar header on line ${lineNumber}: ${header}`);
    const folded = match[1] === ">";
    const chomp = match[2];
    const body: string[] = [];
    let blockIndent = -1;
    while (this.index < this.lines.length) {
      const line = this.lines[this.index];
      if (!line) break;
      if (line.raw.trim() === "") {
        body.push("");
        this.index++;
        continue;
      }
      if (line.indent <= parentIndent) break;
      if (blockIndent === -1) blockIndent = line.indent;
      if (line.indent < blockIndent) {
        throw new Error(`yaml-subset: under-indented block scalar line ${line.number}`);
      }
      body.push(line.raw.slice(blockIndent));
      this.index++;
    }
    // Trailing blank lines belong to chomping, not content.
    let trailing = 0;
    while (body.length > 0 && body[body.length - 1] === "") {
      body.pop();
      trailing++;
    }
    let text: string;
    if (!folded) {
      text = body.join("\n");
    } else {
      text = "";
      let previous: "none" | "text" | "more" = "none";
      let blanks = 0;
      for (const content of body) {
        if (content === "") {
          blanks++;
          continue;
        }
        const more = /^\s/.test(content);
        if (previous === "none") text += "\n".repeat(blanks);
        else if (previous === "text" && !more) text += blanks === 0 ? " " : "\n".repeat(blanks);
        else text += "\n".repeat(blanks + 1);
        text += content;
        previous = more ? "more" : "text";
        blanks = 0;
      }
    }
    if (body.length === 0) return "";
    if (chomp === "-") return text;
    if (chomp === "+") return `${text}\n${"\n".repeat(trailing)}`;
    return `${text}\n`;
  }
}

export function parseYaml(source: string): YamlValue {
  const lines = source.split(/\r?\n/).map((raw, i): Line => {
    if (/^\s*\t/.test(raw)) throw new Error(`yaml-subset: tab indentation on line ${i + 1}`);
    const indent = raw.length - raw.trimStart().length;
    return { indent, text: raw.trim(), raw, number: i + 1 };
  });
  return new Parser(lines).parseDocument();
}

/** The YAML inside the first ```yaml (or ````yaml) fence of a markdown text. */
export function yamlFromMarkdown(markdown: string): string {
  const match = /^(`{3,})yaml[^\n]*\n([\s\S]*?)^\1\s*$/m.exec(markdown);
  if (!match?.[2]) throw new Error("no ```yaml fence found");
  return match[2];
}
