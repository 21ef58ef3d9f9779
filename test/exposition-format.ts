/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), for the metrics tests:
 * a malformed line, a family split in two, a duplicate series or a negative counter is an error.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help?: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** A float as Go's strconv.ParseFloat reads it (the format's definition): NaN and ±Inf in any case. */
function parseValue(text: string, where: string): number {
  if (/^nan$/i.test(text)) return NaN;
  if (/^\+?inf(inity)?$/i.test(text)) return Infinity;
  if (/^-inf(inity)?$/i.test(text)) return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`${where}: bad value "${text}"`);
  return Number(text);
}

/** The sample names a family of this type may have. */
function belongsTo(family: Family, sample: string): boolean {
  const suffixes =
    family.type === 'histogram'
      ? ['_bucket', '_sum', '_count']
      : family.type === 'summary'
        ? ['', '_sum', '_count']
        : [''];
  return suffixes.some((s) => sample === family.name + s);
}

function parseLabels(text: string, where: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1; // after '{'
  for (;;) {
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const name = /^[^=]*/.exec(text.slice(i))![0];
    if (!LABEL_NAME.test(name)) throw new Error(`${where}: bad label name "${name}"`);
    if (name in labels) throw new Error(`${where}: label "${name}" given twice`);
    i += name.length;
    if (text[i] !== '=' || text[i + 1] !== '"') throw new Error(`${where}: expected ="..." after label ${name}`);
    i += 2;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new Error(`${where}: unterminated label value`);
      if (c === '"') break;
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'n') value += '\n';
        else if (e === '\\' || e === '"') value += e;
        else throw new Error(`${where}: bad escape \\${e} in a label value`);
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    labels[name] = value;
    i++; // closing quote
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw new Error(`${where}: expected , or } after label ${name}`);
  }
}

export function parseExposition(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition does not end with a newline');
  const families = new Map<string, Family>();
  const seriesSeen = new Set<string>();
  let current: Family | undefined;
  const family = (name: string, where: string): Family => {
    let f = families.get(name);
    if (!f) {
      f = { name, type: 'untyped', samples: [] };
      families.set(name, f);
    } else if (f !== current) {
      throw new Error(`${where}: family ${name} is not contiguous`);
    }
    current = f;
    return f;
  };
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, n) => {
      const where = `line ${n + 1} "${line}"`;
      if (line.trim() === '') return;
      if (line.startsWith('#')) {
        const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
        if (!m) return; // a plain comment
        const [, kind, name, rest = ''] = m;
        if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name`);
        const f = family(name, where);
        if (kind === 'TYPE') {
          if (!TYPES.has(rest.trim())) throw new Error(`${where}: unknown type`);
          if (f.samples.length > 0 || f.type !== 'untyped')
            throw new Error(`${where}: TYPE after samples or given twice`);
          f.type = rest.trim();
        } else {
          if (f.help !== undefined) throw new Error(`${where}: HELP given twice`);
          f.help = rest;
        }
        return;
      }
      const name = /^[^{\s]*/.exec(line)![0];
      if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name "${name}"`);
      let rest = line.slice(name.length);
      let labels: Record<string, string> = {};
      if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, where));
      const parts = rest.trim().split(/\s+/);
      if (!/^\s/.test(rest) || parts.length < 1 || parts.length > 2)
        throw new Error(`${where}: expected " value [timestamp]"`);
      const value = parseValue(parts[0], where);
      if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) throw new Error(`${where}: bad timestamp`);
      const f = current && belongsTo(current, name) ? current : family(name, where);
      if (!belongsTo(f, name)) throw new Error(`${where}: sample ${name} in family ${f.name} of type ${f.type}`);
      const key = name + JSON.stringify(Object.entries(labels).sort());
      if (seriesSeen.has(key)) throw new Error(`${where}: duplicate series`);
      seriesSeen.add(key);
      if (f.type === 'counter' && !(value >= 0)) throw new Error(`${where}: a counter must be ≥ 0`);
      f.samples.push({ name, labels, value });
    });
  return families;
}
