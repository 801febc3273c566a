/**
 * The results of a bench run (the JSON written to bench/results/), the table computed from
 * them, a before/after comparison of two runs, and the README block regenerated from one.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { MessagingResult } from './messaging.js';
import type { PayoutsResult } from './payouts.js';

export interface Sample {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  seconds: number;
  /** HTTP answers that were not 2xx (wrk), or failed statements (raw). */
  non2xx?: number;
  errors?: number;
  /** Booking: rows really inserted, and stays refused as taken (409 / exclusion violation). */
  created?: number;
  conflicts?: number;
}

export interface Comparison {
  a: string;
  b: string;
  reps: { a: Sample[]; b: Sample[]; ratio: number }[];
  /** Median over reps of mean(A) / mean(B). */
  ratio: number;
  /** Means over every A (B) run of req/s; medians of their p50 and p99. */
  aRps: number;
  aP50: number;
  aP99: number;
  bRps: number;
  bP50: number;
  bP99: number;
  note?: string;
}

export interface SizeResult {
  listings: number;
  seed: {
    listings: number;
    guests: number;
    bookings: number;
    activeBookings: number;
    calendarRows: number;
    ms: Record<string, number>;
  };
  comparisons: Record<string, Comparison>;
  /** PostgreSQL: the session settings of the application's connections, also used by the raw side. */
  session?: string;
  /** EXPLAIN of each search scenario's main statement on this data. */
  plans: Record<string, string>;
  /** The statements each scenario runs (first line of each), as captured. */
  captured: Record<string, string[]>;
  /** Real-time delivery across two API processes (bench/messaging.ts). */
  messaging?: MessagingResult;
  /** The release-payouts job over completed stays (bench/payouts.ts). */
  payouts?: PayoutsResult;
  wallMs: number;
}

export interface StartupResult {
  postgres?: { runs: number[]; median: number };
  pglite?: { runs: number[]; median: number };
}

export interface BenchResult {
  version: 1;
  startedAt: string;
  finishedAt: string;
  engine: 'postgres' | 'mysql';
  machine: { cpus: number; cpuModel: string; node: string; platform: string; loadavg: number[] };
  app: { dir: string; commit: string; dirty: boolean };
  params: {
    sizes: number[];
    seconds: number;
    reps: number;
    connections: number;
    pool: number;
    only: string[];
  };
  sizes: Record<string, SizeResult>;
  startup: StartupResult;
  wallMs: number;
}

export const SEARCH_SCENARIOS = [
  ['search.city', 'city + dates + guests'],
  ['search.bbox', 'bbox + price'],
  ['search.text', 'text + amenities'],
  ['search.radius', 'centre + radius'],
  ['search.cityprice', 'city + dates, by stay total'],
] as const;

export interface Row {
  key: string;
  what: string;
  listings: string;
  a: string;
  b: string;
  ratio: string;
  goal: string;
  ok: '✓' | '✗' | '';
  /** For comparisons between runs. */
  value?: number;
}

const f0 = (n: number) =>
  Number.isFinite(n) ? Math.round(n).toLocaleString('en-US').replace(/,/g, ' ') : '–';
const fms = (n: number) =>
  !Number.isFinite(n) ? '–' : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : f0(n);
const fr = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '–');
const side = (rps: number, p50: number, p99: number) => `${f0(rps)} req/s (${fms(p50)} / ${fms(p99)} ms)`;
const okIf = (b: boolean): '✓' | '✗' => (b ? '✓' : '✗');
const sizeLabel = (n: number | string) => f0(Number(n));

/** The table, as rows. */
export function rows(r: BenchResult): Row[] {
  const out: Row[] = [];
  const sizes = Object.keys(r.sizes)
    .map(Number)
    .sort((x, y) => x - y);
  const cmp = (
    key: string,
    what: string,
    n: number,
    goal: number,
    c: Comparison | undefined,
    extra?: (c: Comparison) => string,
  ) => {
    if (!c) return;
    out.push({
      key: `${key}@${n}`,
      what: `${what}${extra ? extra(c) : ''}`,
      listings: sizeLabel(n),
      a: `${c.a}: ${side(c.aRps, c.aP50, c.aP99)}`,
      b: `${c.b}: ${side(c.bRps, c.bP50, c.bP99)}`,
      ratio: fr(c.ratio),
      goal: `≥ ${goal}`,
      ok: okIf(c.ratio >= goal),
      value: c.ratio,
    });
  };
  for (const n of sizes) {
    const s = r.sizes[String(n)]!;
    cmp('live', '/health/live vs bare Fastify', n, 0.8, s.comparisons['live']);
    cmp('me', 'GET /users/me vs /health/live', n, 0.6, s.comparisons['me']);
    for (const [key, label] of SEARCH_SCENARIOS) {
      cmp(key, `search ${label}: HTTP vs raw SQL`, n, 0.8, s.comparisons[key]);
    }
    cmp('booking', 'booking creation: HTTP vs raw transaction', n, 0.85, s.comparisons['booking']);
    const m = s.messaging;
    if (m) {
      out.push({
        key: `messaging@${n}`,
        what: `messages posted through API B, pushed to ${m.subscribers} SSE subscribers on API A`,
        listings: sizeLabel(n),
        a: `posts: ${side(m.post.rps, m.post.p50, m.post.p99)}`,
        b: `push p50 / p99: ${fms(m.push.post.p50)} / ${fms(m.push.post.p99)} ms after the post (${fms(m.push.publish.p50)} / ${fms(m.push.publish.p99)} ms after publish)`,
        ratio: `${m.push.measured}/${m.post.ok} pushed`,
        goal: 'push p99 ≤ 1 000 ms',
        ok: okIf(m.push.post.p99 <= 1000 && m.push.measured === m.post.ok),
        value: m.push.post.p99,
      });
    }
    const searches = SEARCH_SCENARIOS.map(([k]) => s.comparisons[k]).filter((c): c is Comparison => !!c);
    if (searches.length > 0) {
      const worst = searches.reduce((w, c) => (c.aP99 / c.aP50 > w.aP99 / w.aP50 ? c : w));
      const worstRaw = Math.max(...searches.map((c) => c.bP99 / c.bP50));
      const spread = (c: Comparison) => `${(c.aP99 / c.aP50).toFixed(1)}`;
      out.push({
        key: `spread@${n}`,
        what: 'p99/p50 on search (worst HTTP scenario)',
        listings: sizeLabel(n),
        a: `HTTP: ${searches.map(spread).join(' / ')}`,
        b: `raw: ${searches.map((c) => (c.bP99 / c.bP50).toFixed(1)).join(' / ')} (worst ${worstRaw.toFixed(1)})`,
        ratio: (worst.aP99 / worst.aP50).toFixed(1),
        goal: '≤ 3',
        ok: okIf(worst.aP99 / worst.aP50 <= 3),
        value: worst.aP99 / worst.aP50,
      });
    }
  }
  const text100k = r.sizes['100000']?.comparisons['search.text'];
  if (text100k) {
    out.push({
      key: 'text@100000',
      what: 'text + amenities at 100k listings (HTTP)',
      listings: sizeLabel(100_000),
      a: side(text100k.aRps, text100k.aP50, text100k.aP99),
      b: 'baseline 79 req/s, p99 1 200 ms',
      ratio: `${(text100k.aRps / 79).toFixed(1)}× req/s, p99 ${(1200 / text100k.aP99).toFixed(1)}× lower`,
      goal: '×5 (≥ 395 req/s, p99 ≤ 240 ms)',
      ok: okIf(text100k.aRps >= 395 && text100k.aP99 <= 240),
      value: text100k.aRps,
    });
  }
  const b10 = r.sizes['10000']?.comparisons['search.bbox'];
  const b100 = r.sizes['100000']?.comparisons['search.bbox'];
  if (b10 && b100) {
    // The two sizes run minutes apart, not side by side: each is also divided by /health/live of its own
    // size (data-independent, measured a few minutes earlier) to cancel the machine's drift in between.
    const l10 = r.sizes['10000']?.comparisons['live']?.aRps;
    const l100 = r.sizes['100000']?.comparisons['live']?.aRps;
    const plain = b100.aRps / b10.aRps;
    const normalised = l10 && l100 ? b100.aRps / l100 / (b10.aRps / l10) : undefined;
    out.push({
      key: 'bbox-scale',
      what: 'bbox + price throughput, 100k vs 10k listings (HTTP)',
      listings: '100 000 / 10 000',
      a: side(b100.aRps, b100.aP50, b100.aP99),
      b: side(b10.aRps, b10.aP50, b10.aP99),
      ratio:
        normalised === undefined
          ? fr(plain)
          : `${fr(normalised)} (each per its /health/live; plain ${fr(plain)})`,
      goal: '≥ 0.6',
      ok: okIf((normalised ?? plain) >= 0.6),
      value: normalised ?? plain,
    });
  }
  const startups = [
    ['postgres', 'start-pg', 'PostgreSQL', 1500],
    ['pglite', 'start-pglite', 'fresh PGlite', 5000],
  ] as const;
  for (const [engine, key, label, goalMs] of startups) {
    const s = r.startup[engine];
    if (!s) continue;
    out.push({
      key,
      what: `start → /health/ready, ${label}`,
      listings: '',
      a: `median ${f0(s.median)} ms`,
      b: `runs ${s.runs.map(f0).join(', ')} ms`,
      ratio: `${(s.median / 1000).toFixed(2)} s`,
      goal: `≤ ${goalMs / 1000} s`,
      ok: okIf(s.median <= goalMs),
      value: s.median,
    });
  }
  return out;
}

export function markdownTable(header: string[], body: string[][]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...body.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

export function table(r: BenchResult): string {
  const notes = Object.values(r.sizes)
    .filter((s) => s.comparisons['booking']?.note)
    .map((s) => `Bookings at ${sizeLabel(s.listings)} listings: ${s.comparisons['booking']!.note}.`);
  return [
    markdownTable(
      ['what', 'listings', 'A (p50 / p99)', 'B (p50 / p99)', 'ratio', 'goal', ''],
      rows(r).map((x) => [x.what, x.listings, x.a, x.b, x.ratio, x.goal, x.ok]),
    ),
    ...(notes.length > 0 ? ['', ...notes] : []),
  ].join('\n');
}

export function machineLine(r: BenchResult): string {
  const m = r.machine;
  const p = r.params;
  return (
    `${r.engine === 'mysql' ? 'MySQL/MariaDB' : 'PostgreSQL'}; ${m.cpus} × ${m.cpuModel.trim()}, Node ${m.node}, ` +
    `app ${r.app.commit.slice(0, 7)}${r.app.dirty ? ' (with uncommitted changes)' : ''}; ${p.connections} connections ` +
    `(app pool and raw pool ${p.pool}), ${p.seconds} s per run, ${p.reps} ABBA rep(s); run started ${r.startedAt}`
  );
}

export function load(file: string): BenchResult {
  const r = JSON.parse(readFileSync(file, 'utf8')) as BenchResult;
  if (r.version !== 1) throw new Error(`${file}: not a bench result (version ${String(r.version)})`);
  return r;
}

/** Two runs side by side (e.g. before and after a change), row by row. */
export function compare(beforeFile: string, afterFile: string): string {
  const before = load(beforeFile);
  const after = load(afterFile);
  const b = new Map(rows(before).map((x) => [x.key, x]));
  const a = rows(after);
  const keys = new Set(a.map((x) => x.key));
  const body = [
    ...a.map((x) => {
      const o = b.get(x.key);
      return [
        x.what,
        x.listings,
        x.goal,
        o ? `${o.ratio} ${o.ok}` : '–',
        `${x.ratio} ${x.ok}`,
        o?.a ?? '–',
        x.a,
      ];
    }),
    ...[...b.values()]
      .filter((o) => !keys.has(o.key))
      .map((o) => [o.what, o.listings, o.goal, `${o.ratio} ${o.ok}`, '–', o.a, '–']),
  ];
  return [
    `before: ${beforeFile}\n  ${machineLine(before)}`,
    `after:  ${afterFile}\n  ${machineLine(after)}`,
    '',
    markdownTable(['what', 'listings', 'goal', 'before', 'after', 'A before', 'A after'], body),
  ].join('\n');
}

const START = '<!-- bench:start -->';
const END = '<!-- bench:end -->';

/** Trim a plan to what matters: at most `max` lines. */
function trimPlan(plan: string, max = 40): string {
  const lines = plan.split('\n');
  return lines.length <= max
    ? plan
    : [...lines.slice(0, max), `   … (${lines.length - max} more lines)`].join('\n');
}

export function readmeBlock(r: BenchResult, file: string): string {
  const parts = [
    START,
    `<!-- generated by \`npm run bench:readme -- ${file}\`: edit bench/report.ts, not this block -->`,
    '',
    `Last run: ${machineLine(r)}. A and B of each row ran side by side (ABBA); the ratio is A/B in req/s, p50 / p99 in ms.`,
    '',
    table(r),
  ];
  const sizes = Object.keys(r.sizes)
    .map(Number)
    .sort((x, y) => x - y);
  for (const n of sizes) {
    const s = r.sizes[String(n)]!;
    parts.push(
      '',
      `Data at ${sizeLabel(n)} listings: ${f0(s.seed.bookings)} bookings (${f0(s.seed.activeBookings)} holding nights), ` +
        `${f0(s.seed.calendarRows)} calendar rows, ${f0(s.seed.guests)} guests; seeded in ${(s.seed.ms['total']! / 1000).toFixed(0)} s.`,
    );
  }
  for (const [key, label] of SEARCH_SCENARIOS) {
    for (const n of sizes) {
      const plan = r.sizes[String(n)]?.plans[key];
      if (!plan) continue;
      parts.push(
        '',
        `\`EXPLAIN (ANALYZE, BUFFERS off, COSTS off, TIMING off)\` of the search, ${label}, ${sizeLabel(n)} listings:`,
        '',
        '```',
        trimPlan(plan),
        '```',
      );
    }
  }
  parts.push(END);
  return parts.join('\n');
}

/** Replace the block between the markers in README.md (read just before writing). */
export function writeReadme(readmePath: string, resultFile: string): void {
  const r = load(resultFile);
  const text = readFileSync(readmePath, 'utf8');
  const i = text.indexOf(START);
  const j = text.indexOf(END);
  if (i < 0 || j < i) throw new Error(`${readmePath}: no ${START} … ${END} block in the Performance section`);
  writeFileSync(readmePath, text.slice(0, i) + readmeBlock(r, resultFile) + text.slice(j + END.length));
}
