import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';

/** What one load run measured: every call's latency, so runs split in halves can be merged exactly. */
export interface LoadRun {
  calls: number;
  errors: number;
  seconds: number;
  latenciesMs: number[];
  /** Answers by HTTP status (or `error` for calls that got none). */
  outcomes: Record<string, number>;
}

export interface LoadSummary {
  calls: number;
  errors: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  outcomes: Record<string, number>;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function summarize(runs: readonly LoadRun[]): LoadSummary {
  const latencies = runs.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const calls = runs.reduce((n, r) => n + r.calls, 0);
  const seconds = runs.reduce((n, r) => n + r.seconds, 0);
  return {
    calls,
    errors: runs.reduce((n, r) => n + r.errors, 0),
    rps: seconds > 0 ? calls / seconds : 0,
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
    max_ms: latencies.at(-1) ?? NaN,
    outcomes: runs.reduce<Record<string, number>>((all, r) => {
      for (const [k, v] of Object.entries(r.outcomes)) all[k] = (all[k] ?? 0) + v;
      return all;
    }, {}),
  };
}

export interface HttpLoadOptions {
  url: string;
  connections: number;
  seconds: number;
  headers: Record<string, string>;
  /** The body of the n-th request of this run (distinct tickets). */
  body: (n: number) => string;
  /** Statuses that count as success. */
  ok: (status: number) => boolean;
}

/** Fixed concurrency for a fixed time with autocannon (closed loop: each connection waits for its answer). */
export function httpLoad(options: HttpLoadOptions): Promise<LoadRun> {
  const latenciesMs: number[] = [];
  const outcomes: Record<string, number> = {};
  let errors = 0;
  let n = 0;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.seconds,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            headers: options.headers,
            setupRequest: (request) => ({ ...request, body: options.body(n++) }),
          },
        ],
      },
      (err) => {
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        const seconds = (performance.now() - started) / 1000;
        resolve({ calls: latenciesMs.length, errors, seconds, latenciesMs, outcomes });
      },
    );
    instance.on('response', (_client, status, _bytes, responseTime) => {
      latenciesMs.push(responseTime);
      outcomes[status] = (outcomes[status] ?? 0) + 1;
      if (!options.ok(status)) errors++;
    });
    instance.on('reqError', () => {
      errors++;
      outcomes.error = (outcomes.error ?? 0) + 1;
    });
  });
}

/** The same closed loop around any async call: `connections` loops, each calling again once answered. */
export async function callLoad(
  connections: number,
  seconds: number,
  call: (n: number) => Promise<unknown>,
): Promise<LoadRun> {
  const latenciesMs: number[] = [];
  const outcomes: Record<string, number> = {};
  let errors = 0;
  let n = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const loop = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        await call(n++);
        outcomes.ok = (outcomes.ok ?? 0) + 1;
      } catch (err) {
        errors++;
        const name = err instanceof Error ? err.name : 'error';
        outcomes[name] = (outcomes[name] ?? 0) + 1;
      }
      latenciesMs.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  return {
    calls: latenciesMs.length,
    errors,
    seconds: (performance.now() - started) / 1000,
    latenciesMs,
    outcomes,
  };
}

/** Samples a process's resident memory (VmRSS) until stopped; also reads its lifetime peak (VmHWM). */
export class RssSampler {
  private peakRssKb = 0;
  private hwmKb = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 100,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  private sample(): void {
    let status: string;
    try {
      status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    } catch {
      return;
    }
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    this.peakRssKb = Math.max(this.peakRssKb, kb('VmRSS'));
    this.hwmKb = Math.max(this.hwmKb, kb('VmHWM'));
  }

  /** Stops sampling: the highest VmRSS seen while sampling and the process's VmHWM, in MB. */
  stop(): { peakRssMb: number; hwmMb: number } {
    this.sample();
    clearInterval(this.timer);
    return { peakRssMb: this.peakRssKb / 1024, hwmMb: this.hwmKb / 1024 };
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; NaN when unreadable. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** The pid of the process whose command line contains every one of `parts` (e.g. the dev server's port). */
export function findPid(parts: readonly string[]): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (parts.every((p) => cmdline.includes(p))) return Number(entry);
    } catch {
      // The process ended meanwhile.
    }
  }
  return null;
}
