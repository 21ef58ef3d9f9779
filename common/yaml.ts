/**
 * YAML files (the seed DAG) read with the `yaml` package (YAML 1.2, one document),
 * keeping where each value was written so a problem can be named by file, line and column.
 * Warnings count as errors: an unknown tag would otherwise silently become a string.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Alias, type Document, type Node } from 'yaml';
import { FlinkxError } from './errors';

export interface YamlPosition {
  line: number;
  col: number;
}

/** Keys and sequence indexes from the document's root down to a value, e.g. `['window', 'table', 1]`. */
export type YamlPath = readonly (string | number)[];

/** A file that is not valid YAML (or uses what we refuse); `line` and `col` count from 1. */
export class YamlError extends FlinkxError {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly col: number,
    readonly source?: string,
  ) {
    super('INVALID_YAML', `${source ? `${source}:` : ''}${line}:${col}: ${reason}`);
  }
}

export interface ParsedYaml {
  /** The document as plain JS objects (keys such as `__proto__` are own properties). */
  value: unknown;
  /**
   * Where `path` is written: the key's position for a mapping value, the item's for a sequence
   * element; for a path partly absent, the deepest part present (a missing field's mapping).
   */
  positionOf(path: YamlPath): YamlPosition;
}

/** Parses one YAML document; throws YamlError at the first error or warning. */
export function parseYaml(text: string, source?: string): ParsedYaml {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  const at = (offset: number): YamlPosition => lines.linePos(offset);
  const first = doc.errors[0] ?? doc.warnings[0];
  if (first) {
    const { line, col } = at(first.pos[0]);
    throw new YamlError(first.message, line, col, source);
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (err) {
    // an alias to an anchor not (yet) defined, or too many aliases (the default limit)
    const { line, col } = at(aliasOffset(doc));
    throw new YamlError((err as Error).message, line, col, source);
  }
  return { value, positionOf: (path) => at(offsetOf(doc.contents, path)) };
}

/** The alias that could not be resolved, else the first alias: where toJS fails. */
function aliasOffset(doc: Document): number {
  const aliases: Alias[] = [];
  visit(doc, { Alias: (_key, node) => void aliases.push(node) });
  const culprit = aliases.find((a) => a.resolve(doc) === undefined) ?? aliases[0];
  return culprit?.range?.[0] ?? 0;
}

function offsetOf(root: unknown, path: YamlPath): number {
  let node = root;
  let offset = (root as Node | null)?.range?.[0] ?? 0;
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : undefined) === String(step));
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof step === 'number') {
      const item = node.items[step] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset;
}
