/**
 * The block subset of YAML that DAG files like the seed's use: nested mappings, sequences (of
 * scalars or mappings), `#` comments, plain/quoted scalars (numbers, true/false, null). Anything
 * else (flow collections, anchors, multi-line strings, several documents) is refused with its line,
 * rather than guessed at. A full YAML library would be a dependency for one small file format.
 */

export class YamlError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

interface Line {
  indent: number;
  text: string;
  no: number;
}

/** The line without a trailing comment (a `#` at the start or after a space, outside quotes). */
function stripComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      if (i === 0 || /[\s:-]/.test(text[i - 1])) quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) return text.slice(0, i);
  }
  return text;
}

function scalar(raw: string, no: number): unknown {
  const s = raw.trim();
  if (/^["']/.test(s)) {
    if (s.length < 2 || s[s.length - 1] !== s[0]) throw new YamlError(no, `unterminated quoted string ${s}`);
    const body = s.slice(1, -1);
    return s[0] === '"' ? JSON.parse(`"${body}"`) : body.replace(/''/g, "'");
  }
  if (/^[[{&*!|>%@`]/.test(s)) throw new YamlError(no, `"${s[0]}" (flow collections, anchors, tags, block strings) is not supported; write the value in block style or quote it`);
  if (s === '' || s === '~' || s === 'null') return null;
  if (s === 'true' || s === 'false') return s === 'true';
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  return s;
}

const isItem = (l: Line | undefined) => l !== undefined && (l.text === '-' || l.text.startsWith('- '));

/** `key: rest` or `key:`; undefined when the line is not a mapping entry. */
function entry(text: string): [string, string] | undefined {
  const m = /^("[^"]*"|'[^']*'|[^\s'"][^:]*?)\s*:(?:\s+(.*))?$/.exec(text);
  if (!m) return undefined;
  return [m[1].replace(/^["']|["']$/g, ''), m[2] ?? ''];
}

function parseBlock(lines: Line[], i: number, indent: number): [unknown, number] {
  return isItem(lines[i]) ? parseSeq(lines, i, indent) : parseMap(lines, i, indent);
}

/** The value after `key:` or `-` when it is on the following lines. */
function nested(lines: Line[], i: number, indent: number, allowSameIndentSeq: boolean): [unknown, number] {
  const next = lines[i];
  if (next && next.indent > indent) return parseBlock(lines, i, next.indent);
  if (allowSameIndentSeq && next && next.indent === indent && isItem(next)) return parseSeq(lines, i, indent);
  return [null, i];
}

function parseMap(lines: Line[], i: number, indent: number): [Record<string, unknown>, number] {
  const map: Record<string, unknown> = {};
  while (i < lines.length && lines[i].indent === indent && !isItem(lines[i])) {
    const l = lines[i];
    const kv = entry(l.text);
    if (!kv) throw new YamlError(l.no, `expected "key: value", got "${l.text}"`);
    const [key, rest] = kv;
    if (key in map) throw new YamlError(l.no, `duplicate key "${key}"`);
    if (rest.trim() === '') [map[key], i] = nested(lines, i + 1, indent, true);
    else [map[key], i] = [scalar(rest, l.no), i + 1];
  }
  if (i < lines.length && lines[i].indent > indent) throw new YamlError(lines[i].no, 'unexpected indentation');
  return [map, i];
}

function parseSeq(lines: Line[], i: number, indent: number): [unknown[], number] {
  const seq: unknown[] = [];
  while (i < lines.length && lines[i].indent === indent && isItem(lines[i])) {
    const l = lines[i];
    const rest = l.text.slice(1).trimStart();
    if (rest === '') [seq[seq.length], i] = nested(lines, i + 1, indent, false);
    else if (entry(rest)) {
      // "- key: value" starts a mapping whose keys line up with `key`.
      const inner = indent + (l.text.length - rest.length);
      const copy = [...lines];
      copy[i] = { indent: inner, text: rest, no: l.no };
      let item: unknown;
      [item, i] = parseMap(copy, i, inner);
      seq.push(item);
    } else [seq[seq.length], i] = [scalar(rest, l.no), i + 1];
  }
  return [seq, i];
}

export function parseYaml(text: string): unknown {
  const lines: Line[] = [];
  text.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((raw, n) => {
    if (/^\t/.test(raw)) throw new YamlError(n + 1, 'tabs are not allowed for indentation');
    const body = stripComment(raw).trimEnd();
    if (body.trim() === '') return;
    if (body.trim() === '---' || body.trim() === '...') throw new YamlError(n + 1, 'document markers (several documents) are not supported');
    lines.push({ indent: body.length - body.trimStart().length, text: body.trim(), no: n + 1 });
  });
  if (lines.length === 0) return null;
  const [value, end] = parseBlock(lines, 0, lines[0].indent);
  if (end < lines.length) throw new YamlError(lines[end].no, 'unexpected indentation');
  return value;
}
