/**
 * A small YAML emitter for the files "bootstrap local" writes (compose.yaml, cloudflared/config.yml).
 * Block style only; maps, lists, strings, numbers and booleans. Written here rather than imported so
 * the Worker bundle carries no YAML dependency; every string that a YAML 1.1 or 1.2 reader could take
 * for something else (number, boolean, null, indicator, comment) is double-quoted.
 */

/** A value the emitter can write. */
export type YamlValue = string | number | boolean | YamlValue[] | { [key: string]: YamlValue };

// Words YAML 1.1 readers (and 1.2 core) resolve to booleans or null; compose's own docs warn about `no`.
const RESERVED = new Set(["y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"]);
// Plain scalars start with a letter, `_` or `/`, so they can never read as a number, `.inf`, an alias,
// a tag, an anchor, a directive or a flow collection.
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./:@+=, -]*$/;
// Characters YAML does not allow unescaped inside a double-quoted scalar, which JSON.stringify leaves.
const UNPRINTABLE = /[\u007f-\u009f\u2028\u2029\ufeff]/g;

/** Serializes a value as a YAML document (block style, two-space indent, trailing newline). */
export function toYaml(value: YamlValue, options: { header?: string[] } = {}): string {
  const header = (options.header ?? []).map((line) => (line ? `# ${line}` : "#"));
  const body = isCollection(value) && !isEmpty(value) ? block(value, 0) : [scalarOrEmpty(value)];
  return `${[...header, ...body].join("\n")}\n`;
}

/** The YAML form of one scalar: plain when unambiguous, otherwise a double-quoted string. */
export function yamlScalar(value: string | number | boolean): string {
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError(`YAML emitter: ${value} is not a finite number`);
    return String(value);
  }
  return isPlainSafe(value) ? value : quote(value);
}

function isPlainSafe(s: string): boolean {
  return (
    PLAIN.test(s) &&
    !RESERVED.has(s.toLowerCase()) &&
    !s.endsWith(" ") &&
    !s.endsWith(":") &&
    !s.includes(": ") &&
    !s.includes(", ")
  );
}

function quote(s: string): string {
  return JSON.stringify(s).replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function isCollection(v: YamlValue): v is YamlValue[] | { [key: string]: YamlValue } {
  return typeof v === "object";
}

function isEmpty(v: YamlValue[] | { [key: string]: YamlValue }): boolean {
  return Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0;
}

function scalarOrEmpty(v: YamlValue): string {
  if (isCollection(v)) return Array.isArray(v) ? "[]" : "{}";
  return yamlScalar(v);
}

/** Lines of a non-empty collection, every line indented by `indent` spaces. */
function block(value: YamlValue[] | { [key: string]: YamlValue }, indent: number): string[] {
  const pad = " ".repeat(indent);
  const lines: string[] = [];
  if (Array.isArray(value)) {
    for (const item of value) {
      if (!isCollection(item) || isEmpty(item)) lines.push(`${pad}- ${scalarOrEmpty(item)}`);
      else if (Array.isArray(item)) lines.push(`${pad}-`, ...block(item, indent + 2));
      else {
        // A map in a list starts on the dash's line; its other keys align under the first.
        const [first, ...rest] = block(item, indent + 2);
        lines.push(`${pad}- ${first.slice(indent + 2)}`, ...rest);
      }
    }
    return lines;
  }
  for (const [key, item] of Object.entries(value)) {
    const k = yamlScalar(key);
    if (!isCollection(item) || isEmpty(item)) lines.push(`${pad}${k}: ${scalarOrEmpty(item)}`);
    else lines.push(`${pad}${k}:`, ...block(item, indent + 2));
  }
  return lines;
}
