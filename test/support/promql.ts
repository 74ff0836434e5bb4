/**
 * The part of PromQL the alert rules in deploy/prometheus use, evaluated over recorded series, so a test can say
 * whether a rule fires without a Prometheus server: selectors with label matchers and ranges, `rate`, `increase`
 * (extrapolated as Prometheus does), `histogram_quantile`, `sum`/`max`/`min`/`count` with `by`, arithmetic and
 * comparisons (filters) between vectors and scalars with one-to-one matching, and `and`/`or`/`unless`. Anything
 * else is a parse error: a rule that needs more makes its test fail, it never passes unevaluated.
 */

export type Labels = Record<string, string>;
export interface Series {
  labels: Labels;
  /** [epoch ms, value], oldest first. */
  samples: [number, number][];
}
interface Sample {
  labels: Labels;
  value: number;
}
type Value = { kind: 'scalar'; value: number } | { kind: 'vector'; samples: Sample[] };

type Matcher = { name: string; op: '=' | '!=' | '=~' | '!~'; value: string };
type Node =
  | { type: 'number'; value: number }
  | { type: 'selector'; name: string; matchers: Matcher[]; rangeMs: number | null }
  | { type: 'call'; fn: string; args: Node[] }
  | { type: 'aggregate'; op: string; by: string[]; expr: Node }
  | { type: 'binary'; op: string; left: Node; right: Node };

const LOOKBACK_MS = 5 * 60_000;
const AGGREGATIONS = new Set(['sum', 'max', 'min', 'count']);
const FUNCTIONS = new Set(['rate', 'increase', 'histogram_quantile']);
const PRECEDENCE: [string[], number][] = [
  [['or'], 1],
  [['and', 'unless'], 2],
  [['==', '!=', '>', '<', '>=', '<='], 3],
  [['+', '-'], 4],
  [['*', '/'], 5],
];

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const pattern =
    /\s+|#[^\n]*|("(?:[^"\\]|\\.)*")|(\d+(?:\.\d+)?(?:ms|[smhdw])(?![\w]))|(\d+(?:\.\d+)?(?:e[+-]?\d+)?)|(=~|!~|==|!=|>=|<=|[-+*/(){}[\],=<>])|([A-Za-z_:][\w:]*)/gy;
  let match: RegExpExecArray | null;
  while (pattern.lastIndex < text.length) {
    const at = pattern.lastIndex;
    match = pattern.exec(text);
    if (!match) throw new Error(`PromQL: cannot read ${JSON.stringify(text.slice(at, at + 20))}`);
    const token = match.slice(1).find((t) => t !== undefined);
    if (token !== undefined) tokens.push(token);
  }
  return tokens;
}

const DURATION_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
function durationMs(token: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|[smhdw])$/.exec(token);
  if (!match) throw new Error(`PromQL: not a duration: ${token}`);
  return Number(match[1]) * (DURATION_MS[match[2] as string] as number);
}

export function parsePromQL(text: string): Node {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const next = () => {
    const token = tokens[i++];
    if (token === undefined) throw new Error('PromQL: unexpected end');
    return token;
  };
  const expect = (token: string) => {
    const got = next();
    if (got !== token) throw new Error(`PromQL: expected ${token}, got ${got}`);
  };
  const labelList = (): string[] => {
    expect('(');
    const names: string[] = [];
    while (peek() !== ')') {
      names.push(next());
      if (peek() === ',') next();
    }
    expect(')');
    return names;
  };
  const binary = (minPrecedence: number): Node => {
    let left = unary();
    for (;;) {
      const op = peek();
      const level = PRECEDENCE.find(([ops]) => op !== undefined && ops.includes(op))?.[1];
      if (op === undefined || level === undefined || level < minPrecedence) return left;
      next();
      left = { type: 'binary', op, left, right: binary(level + 1) };
    }
  };
  const unary = (): Node => {
    const token = next();
    if (token === '(') {
      const inner = binary(1);
      expect(')');
      return inner;
    }
    if (/^\d/.test(token)) return { type: 'number', value: Number(token) };
    if (AGGREGATIONS.has(token)) {
      let by: string[] = [];
      if (peek() === 'by') {
        next();
        by = labelList();
      }
      expect('(');
      const expr = binary(1);
      expect(')');
      if (peek() === 'by') {
        next();
        by = labelList();
      }
      return { type: 'aggregate', op: token, by, expr };
    }
    if (FUNCTIONS.has(token)) {
      expect('(');
      const args = [binary(1)];
      while (peek() === ',') {
        next();
        args.push(binary(1));
      }
      expect(')');
      return { type: 'call', fn: token, args };
    }
    if (!/^[A-Za-z_:]/.test(token)) throw new Error(`PromQL: unexpected ${token}`);
    const matchers: Matcher[] = [];
    if (peek() === '{') {
      next();
      while (peek() !== '}') {
        const name = next();
        const op = next() as Matcher['op'];
        if (!['=', '!=', '=~', '!~'].includes(op)) throw new Error(`PromQL: bad matcher ${op}`);
        matchers.push({ name, op, value: JSON.parse(next()) as string });
        if (peek() === ',') next();
      }
      next();
    }
    let rangeMs: number | null = null;
    if (peek() === '[') {
      next();
      rangeMs = durationMs(next());
      expect(']');
    }
    return { type: 'selector', name: token, matchers, rangeMs };
  };
  const node = binary(1);
  if (i !== tokens.length) throw new Error(`PromQL: unexpected ${tokens[i]}`);
  return node;
}

/** The metric names an expression reads. */
export function metricNames(node: Node): string[] {
  switch (node.type) {
    case 'selector':
      return [node.name];
    case 'call':
      return node.args.flatMap(metricNames);
    case 'aggregate':
      return metricNames(node.expr);
    case 'binary':
      return [...metricNames(node.left), ...metricNames(node.right)];
    default:
      return [];
  }
}

const key = (labels: Labels) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
const withoutName = ({ __name__: _, ...rest }: Labels): Labels => rest;

function matches(labels: Labels, name: string, matchers: Matcher[]): boolean {
  if (labels.__name__ !== name) return false;
  return matchers.every(({ name: label, op, value }) => {
    const actual = labels[label] ?? '';
    if (op === '=') return actual === value;
    if (op === '!=') return actual !== value;
    const full = new RegExp(`^(?:${value})$`).test(actual);
    return op === '=~' ? full : !full;
  });
}

/** Prometheus's extrapolated rate/increase over the samples of one series in (t - range, t]. */
function extrapolated(
  samples: [number, number][],
  start: number,
  end: number,
  isRate: boolean,
): number | null {
  if (samples.length < 2) return null;
  const [firstT, firstV] = samples[0] as [number, number];
  const [lastT, lastV] = samples[samples.length - 1] as [number, number];
  let result = lastV - firstV;
  for (let i = 1; i < samples.length; i++) {
    const previous = (samples[i - 1] as [number, number])[1];
    if ((samples[i] as [number, number])[1] < previous) result += previous;
  }
  let toStart = (firstT - start) / 1000;
  const toEnd = (end - lastT) / 1000;
  const sampled = (lastT - firstT) / 1000;
  const average = sampled / (samples.length - 1);
  if (result > 0 && firstV >= 0) toStart = Math.min(toStart, sampled * (firstV / result));
  const threshold = average * 1.1;
  let interval = sampled;
  interval += toStart < threshold ? toStart : average / 2;
  interval += toEnd < threshold ? toEnd : average / 2;
  result *= interval / sampled;
  return isRate ? result / ((end - start) / 1000) : result;
}

/** Prometheus's bucketQuantile: linear interpolation within the bucket the rank falls in. */
function bucketQuantile(q: number, buckets: { le: number; count: number }[]): number {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const top = sorted[sorted.length - 1];
  if (!top || top.le !== Infinity || sorted.length < 2) return NaN;
  const total = top.count;
  if (total === 0) return NaN;
  const rank = q * total;
  const index = sorted.findIndex((b) => b.count >= rank);
  if (index === sorted.length - 1) return (sorted[sorted.length - 2] as { le: number }).le;
  const bucket = sorted[index] as { le: number; count: number };
  const lower = index === 0 ? 0 : (sorted[index - 1] as { le: number }).le;
  const below = index === 0 ? 0 : (sorted[index - 1] as { count: number }).count;
  return lower + (bucket.le - lower) * ((rank - below) / (bucket.count - below));
}

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '>': (a, b) => a > b,
  '<': (a, b) => a < b,
  '>=': (a, b) => a >= b,
  '<=': (a, b) => a <= b,
};
const ARITHMETIC: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
};

/** The expression's value at `t` (epoch ms) over `series` (each with a `__name__` label). */
export function evaluate(node: Node, series: readonly Series[], t: number): Value {
  const vector = (samples: Sample[]): Value => ({ kind: 'vector', samples });
  switch (node.type) {
    case 'number':
      return { kind: 'scalar', value: node.value };
    case 'selector': {
      if (node.rangeMs !== null) throw new Error('PromQL: a range vector needs a function');
      const samples: Sample[] = [];
      for (const s of series) {
        if (!matches(s.labels, node.name, node.matchers)) continue;
        const latest = s.samples.filter(([at]) => at <= t && at > t - LOOKBACK_MS).at(-1);
        if (latest) samples.push({ labels: s.labels, value: latest[1] });
      }
      return vector(samples);
    }
    case 'call': {
      if (node.fn === 'histogram_quantile') {
        const q = evaluate(node.args[0] as Node, series, t);
        const buckets = evaluate(node.args[1] as Node, series, t);
        if (q.kind !== 'scalar' || buckets.kind !== 'vector')
          throw new Error('PromQL: histogram_quantile(q, v)');
        const groups = new Map<string, { labels: Labels; buckets: { le: number; count: number }[] }>();
        for (const { labels, value } of buckets.samples) {
          const { le, ...rest } = withoutName(labels);
          const group = groups.get(key(rest)) ?? { labels: rest, buckets: [] };
          group.buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: value });
          groups.set(key(rest), group);
        }
        return vector(
          [...groups.values()]
            .map((g) => ({ labels: g.labels, value: bucketQuantile(q.value, g.buckets) }))
            .filter((s) => !Number.isNaN(s.value)),
        );
      }
      const arg = node.args[0];
      if (arg?.type !== 'selector' || arg.rangeMs === null) throw new Error(`PromQL: ${node.fn}(v[range])`);
      const start = t - arg.rangeMs;
      const samples: Sample[] = [];
      for (const s of series) {
        if (!matches(s.labels, arg.name, arg.matchers)) continue;
        const value = extrapolated(
          s.samples.filter(([at]) => at > start && at <= t),
          start,
          t,
          node.fn === 'rate',
        );
        if (value !== null) samples.push({ labels: withoutName(s.labels), value });
      }
      return vector(samples);
    }
    case 'aggregate': {
      const inner = evaluate(node.expr, series, t);
      if (inner.kind !== 'vector') throw new Error(`PromQL: ${node.op} of a scalar`);
      const groups = new Map<string, { labels: Labels; values: number[] }>();
      for (const { labels, value } of inner.samples) {
        const kept = Object.fromEntries(
          node.by.filter((l) => l in labels).map((l) => [l, labels[l] as string]),
        );
        const group = groups.get(key(kept)) ?? { labels: kept, values: [] };
        group.values.push(value);
        groups.set(key(kept), group);
      }
      const combine: Record<string, (v: number[]) => number> = {
        sum: (v) => v.reduce((a, b) => a + b, 0),
        max: (v) => Math.max(...v),
        min: (v) => Math.min(...v),
        count: (v) => v.length,
      };
      return vector(
        [...groups.values()].map((g) => ({ labels: g.labels, value: combine[node.op]!(g.values) })),
      );
    }
    case 'binary': {
      const left = evaluate(node.left, series, t);
      const right = evaluate(node.right, series, t);
      if (['and', 'or', 'unless'].includes(node.op)) {
        if (left.kind !== 'vector' || right.kind !== 'vector')
          throw new Error(`PromQL: ${node.op} needs vectors`);
        const rightKeys = new Set(right.samples.map((s) => key(withoutName(s.labels))));
        const inRight = (s: Sample) => rightKeys.has(key(withoutName(s.labels)));
        if (node.op === 'and') return vector(left.samples.filter(inRight));
        if (node.op === 'unless') return vector(left.samples.filter((s) => !inRight(s)));
        const leftKeys = new Set(left.samples.map((s) => key(withoutName(s.labels))));
        return vector([
          ...left.samples,
          ...right.samples.filter((s) => !leftKeys.has(key(withoutName(s.labels)))),
        ]);
      }
      const compare = COMPARE[node.op];
      const apply = (a: number, b: number) => (compare ? compare(a, b) : ARITHMETIC[node.op]!(a, b));
      if (left.kind === 'scalar' && right.kind === 'scalar') {
        if (compare) throw new Error('PromQL: comparing two scalars needs bool');
        return { kind: 'scalar', value: apply(left.value, right.value) as number };
      }
      const pairs: [Sample, number, number][] = [];
      if (left.kind === 'vector' && right.kind === 'scalar') {
        for (const s of left.samples) pairs.push([s, s.value, right.value]);
      } else if (left.kind === 'scalar' && right.kind === 'vector') {
        for (const s of right.samples) pairs.push([s, left.value, s.value]);
      } else if (left.kind === 'vector' && right.kind === 'vector') {
        const byKey = new Map(right.samples.map((s) => [key(withoutName(s.labels)), s]));
        for (const s of left.samples) {
          const other = byKey.get(key(withoutName(s.labels)));
          if (other) pairs.push([s, s.value, other.value]);
        }
      }
      if (compare) {
        return vector(pairs.filter(([, a, b]) => compare(a, b)).map(([s]) => s));
      }
      return vector(
        pairs.map(([s, a, b]) => ({ labels: withoutName(s.labels), value: apply(a, b) as number })),
      );
    }
  }
}

/**
 * Series from promtool-like notation: `'name{label="v"}'` with values `'0+1x60'` (start, step, steps), `'5x10'`,
 * `'_'` (no sample) or plain numbers, space-separated, one sample per `intervalMs` from `start`.
 */
export function seriesFrom(defs: Record<string, string>, start: number, intervalMs = 60_000): Series[] {
  return Object.entries(defs).map(([selector, notation]) => {
    const match = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})?$/.exec(selector.trim());
    if (!match) throw new Error(`not a series: ${selector}`);
    const labels: Labels = { __name__: match[1] as string };
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g))
      labels[pair[1] as string] = pair[2] as string;
    const values: (number | null)[] = [];
    for (const part of notation.trim().split(/\s+/)) {
      const expanded = /^(-?[\d.]+)(?:([+-])([\d.]+))?x(\d+)$/.exec(part);
      if (expanded) {
        const [, first, sign, step, times] = expanded;
        const delta = step ? Number(step) * (sign === '-' ? -1 : 1) : 0;
        for (let n = 0; n <= Number(times); n++) values.push(Number(first) + n * delta);
      } else {
        values.push(part === '_' ? null : Number(part));
      }
    }
    const samples = values.flatMap((v, n): [number, number][] =>
      v === null ? [] : [[start + n * intervalMs, v]],
    );
    return { labels, samples };
  });
}
