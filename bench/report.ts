import type { BaselineResult } from './scenarios/baseline';
import type { CallsResult } from './scenarios/calls';
import type { CollapseResult } from './scenarios/collapse';
import type { DrainResult } from './scenarios/drain';
import type { E2eMode, E2eResult } from './scenarios/e2e';
import type { IntakeResult, Spread } from './scenarios/intake';
import { r2 } from './numbers';

/** What one run of the scenarios measured, on one Temporal (the dev server, or the cluster). */
export interface ScenarioResults {
  intake?: IntakeResult;
  collapse?: CollapseResult;
  drain?: DrainResult;
  e2e?: E2eResult;
  baseline?: BaselineResult;
  calls?: CallsResult;
}

export interface BenchResults extends ScenarioResults {
  machine: Record<string, unknown>;
  flags: Record<string, unknown>;
  /** `--cluster`: the same scenarios on the local production stack (PostgreSQL, two Temporal nodes). */
  cluster?: ScenarioResults & { topology: Record<string, unknown> };
  totalSeconds?: number;
}

const r1 = (n: number) => Math.round(n * 10) / 10;
const r3 = (n: number) => Math.round(n * 1000) / 1000;

/**
 * The figures in the shape (bench/results/latest.json); what it has no key for goes under `details`.
 * With `--cluster`, a `cluster` section holds the same fields for the same scenarios on the cluster.
 */
export function toJson(results: BenchResults): Record<string, unknown> {
  const json = scenarioJson(results);
  const details = json.details as Record<string, unknown>;
  Object.assign(details, {
    machine: results.machine,
    flags: results.flags,
    total_seconds: results.totalSeconds === undefined ? undefined : r1(results.totalSeconds),
  });
  if (results.cluster) {
    const cluster = scenarioJson(results.cluster);
    (cluster.details as Record<string, unknown>).topology = results.cluster.topology;
    json.cluster = cluster;
  }
  return json;
}

function scenarioJson(results: ScenarioResults): Record<string, unknown> {
  const { intake, collapse, drain, e2e, baseline, calls } = results;
  return {
    intake: intake && {
      rps: r1(intake.intake.rps),
      p50_ms: r2(intake.intake.p50_ms),
      p99_ms: r2(intake.intake.p99_ms),
      errors: intake.intake.errors,
      ceiling_rps: r1(intake.ceilingA.rps),
      // The median over the rounds (each round: one run of each, alternating which goes first).
      ratio: r3(intake.rpsRatio.median),
      p99_ratio: r3(intake.p99Ratio.median),
      rounds: intake.rounds.length,
    },
    collapse: collapse && {
      tickets: collapse.tickets,
      workflows: collapse.workflows,
      replies: collapse.replies,
      notes: collapse.notes,
      seconds: r2(collapse.seconds),
    },
    drain: drain && {
      tickets: drain.tickets,
      seconds: r2(drain.seconds),
      theoretical_seconds: r2(drain.theoreticalSeconds),
      ratio: r3(drain.ratio),
      http_429: drain.http429,
      calls_per_ticket: r2(drain.callsPerTicket),
    },
    e2e: e2e && {
      p50_ms: r2(e2e.p50_ms),
      p99_ms: r2(e2e.p99_ms),
      apart_p50_ms: r2(e2e.apart.p50_ms),
      ...(e2e.fasterTransferReads && {
        faster_transfer_reads_p50_ms: r2(e2e.fasterTransferReads.p50_ms),
        faster_transfer_reads_apart_p50_ms: r2(e2e.fasterTransferReads.apart.p50_ms),
      }),
    },
    footprint: intake && {
      worker_rss_mb: r1(intake.footprint.workerPeakRssMb),
      server_rss_mb: r1(intake.footprint.serverPeakRssMb),
      worker_tuning: intake.footprint.workerTuning,
      worker_runtime_env: intake.footprint.workerRuntimeEnv,
    },
    // Gorgias calls per ticket, by kind of ticket and what became of it (targets: docs/benchmarks.md).
    calls_per_ticket:
      calls && Object.fromEntries(calls.rows.map((row) => [row.kind, r2(row.callsPerTicket)])),
    baseline: baseline && {
      tickets: baseline.tickets,
      lost: baseline.lost,
      duplicated: baseline.duplicated,
      ours_lost: baseline.ours_lost,
      ours_duplicated: baseline.ours_duplicated,
    },
    details: {
      intake: intake && {
        calls: intake.intake.calls,
        outcomes: intake.intake.outcomes,
        max_ms: r2(intake.intake.max_ms),
        ceiling_a: {
          calls: intake.ceilingA.calls,
          rps: r1(intake.ceilingA.rps),
          p50_ms: r2(intake.ceilingA.p50_ms),
          p99_ms: r2(intake.ceilingA.p99_ms),
          max_ms: r2(intake.ceilingA.max_ms),
          errors: intake.ceilingA.errors,
          outcomes: intake.ceilingA.outcomes,
        },
        ceiling_b: {
          calls: intake.ceilingB.calls,
          rps: r1(intake.ceilingB.rps),
          p50_ms: r2(intake.ceilingB.p50_ms),
          p99_ms: r2(intake.ceilingB.p99_ms),
          max_ms: r2(intake.ceilingB.max_ms),
          errors: intake.ceilingB.errors,
          outcomes: intake.ceilingB.outcomes,
        },
        ratio_to_http_only: r3(intake.intake.rps / intake.ceilingB.rps),
        // Over all rounds' calls together (the figures before the rounds' medians were introduced).
        pooled_ratio: r3(intake.intake.rps / intake.ceilingA.rps),
        pooled_p99_ratio: r3(intake.intake.p99_ms / intake.ceilingA.p99_ms),
        bare_relay: intake.bareRelay && {
          relay_to_ceiling_a: spreadJson(intake.bareRelay.relayToCeilingA),
          intake_to_relay: spreadJson(intake.bareRelay.intakeToRelay),
          relay_p99_to_ceiling_a: spreadJson(intake.bareRelay.relayP99ToCeilingA),
          intake_p99_to_relay: spreadJson(intake.bareRelay.intakeP99ToRelay),
          rounds: intake.bareRelay.rounds.map((r) => ({
            relay_rps: r1(r.relayRps),
            relay_p99_ms: r1(r.relayP99Ms),
            relay_to_ceiling_a: r3(r.relayToCeilingA),
            intake_to_relay: r3(r.intakeToRelay),
          })),
        },
        // --aa-check: ceiling (a) against itself in the same rounds (identical arms; the rounds' own noise).
        aa_check: intake.aaCheck && {
          ratio_spread: spreadJson(intake.aaCheck.rpsRatio),
          p99_ratio_spread: spreadJson(intake.aaCheck.p99Ratio),
          rounds: intake.aaCheck.rounds.map((r) => ({
            rps: r1(r.rps),
            p99_ms: r1(r.p99Ms),
            ratio: r3(r.rpsRatio),
            p99_ratio: r3(r.p99Ratio),
          })),
        },
        ratio_spread: spreadJson(intake.rpsRatio),
        p99_ratio_spread: spreadJson(intake.p99Ratio),
        rounds: intake.rounds.map((round) => ({
          first: round.first,
          intake_rps: r1(round.intakeRps),
          ceiling_a_rps: r1(round.ceilingARps),
          intake_p99_ms: r1(round.intakeP99Ms),
          ceiling_a_p99_ms: r1(round.ceilingAP99Ms),
          rps_ratio: r3(round.rpsRatio),
          p99_ratio: r3(round.p99Ratio),
        })),
        cores_used: intake.cores,
        cpu_ms_per_call: intake.cpuMsPerCall,
        // The webhook server's, window by window through its warm-up (before anything above was measured).
        warmup_server_cpu_ms_per_call: intake.warmupServerCpuMsPerCall,
      },
      footprint: intake && {
        worker_vmhwm_mb: r1(intake.footprint.workerHwmMb),
        server_vmhwm_mb: r1(intake.footprint.serverHwmMb),
        // process.memoryUsage() of the worker, in MB; heap and external figures are its main thread's only.
        worker_phases: intake.footprint.workerPhases,
      },
      collapse: collapse && { failed_deliveries: collapse.failedDeliveries },
      calls: calls && {
        rows: calls.rows.map((row) => ({ ...row, callsPerTicket: r2(row.callsPerTicket) })),
        shared_calls: calls.shared,
        catch_up: calls.catchUp,
      },
      drain: drain && { api_calls: drain.apiCalls, tickets_complete: drain.complete },
      e2e: e2e && {
        tickets: e2e.tickets,
        max_ms: r2(e2e.max_ms),
        missing: e2e.missing,
        steps: e2e.steps,
        history_p50_ms: r1(e2e.history_p50_ms),
        apart: e2eModeJson(e2e.apart),
        faster_transfer_reads: e2e.fasterTransferReads && {
          dynamic_config: e2e.fasterTransferReads.dynamicConfig,
          ...e2eModeJson(e2e.fasterTransferReads),
          apart: e2eModeJson(e2e.fasterTransferReads.apart),
        },
      },
      baseline: baseline && {
        extra_replies: baseline.extraReplies,
        ours_unfinished: baseline.oursUnfinished,
        ours_seconds: r1(baseline.oursSeconds),
      },
    },
  };
}

function spreadJson(s: Spread): Record<string, number> {
  return { median: r3(s.median), q1: r3(s.q1), q3: r3(s.q3), min: r3(s.min), max: r3(s.max) };
}

function e2eModeJson(mode: E2eMode & { pause_ms?: number }): Record<string, unknown> {
  return {
    ...(mode.pause_ms !== undefined && { pause_ms: mode.pause_ms }),
    tickets: mode.tickets,
    p50_ms: r2(mode.p50_ms),
    p99_ms: r2(mode.p99_ms),
    max_ms: r2(mode.max_ms),
    missing: mode.missing,
    history_p50_ms: r1(mode.history_p50_ms),
    steps: mode.steps,
  };
}

function table(rows: string[][], say: (line: string) => void): void {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  rows.forEach((row, index) => {
    say(line(row));
    if (index === 0) say(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  });
}

const ms = (n: number) => `${n.toFixed(1)} ms`;
/** "0.93 (0.88–0.97)": the median and the range of the rounds' values. */
const spreadText = (s: Spread) => `${s.median.toFixed(2)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;

/**
 * The table `npm run bench` prints (and docs/benchmarks.md shows), as Markdown. With `--cluster`, the cluster's
 * value of each figure stands beside the dev server's.
 */
export function printTable(results: BenchResults, say: (line: string) => void): void {
  if (!results.cluster) {
    table([['Scenario', 'Figure', 'Value', 'Target / reference'], ...rowsFor(results, false)], say);
    return;
  }
  const dev = rowsFor(results, true);
  // Matched by scenario and figure: the dev server has rows the cluster has not (e.g. the e2e comparison run).
  const clusterValues = new Map(
    keyed(rowsFor(results.cluster, true)).map(([key, row]) => [key, row[2] ?? '']),
  );
  const rows = keyed(dev).map(([key, row]) => [
    row[0] ?? '',
    row[1] ?? '',
    row[2] ?? '',
    clusterValues.get(key) ?? '–',
    row[3] ?? '',
  ]);
  table([['Scenario', 'Figure', 'Dev server', 'Cluster (PostgreSQL, 2 nodes)', 'Target'], ...rows], say);
}

/** Each row with a key naming its scenario (from the last row that named one) and its figure. */
function keyed(rows: string[][]): [string, string[]][] {
  let scenario = '';
  return rows.map((row) => {
    scenario = row[0] || scenario;
    return [`${scenario}|${row[1] ?? ''}`, row];
  });
}

/**
 * One row per figure: scenario, figure, value, target. `sideBySide`: what depends on the run (the ceilings'
 * latencies) goes into the value, so the target column holds only what both runs share.
 */
function rowsFor(results: ScenarioResults, sideBySide: boolean): string[][] {
  const { intake, collapse, drain, e2e, baseline, calls } = results;
  const rows: string[][] = [];
  if (intake) {
    const { intake: i, ceilingA: a, ceilingB: b } = intake;
    const ceiling = (c: typeof a): [string, string] =>
      sideBySide
        ? [`${c.rps.toFixed(0)} (p50 ${ms(c.p50_ms)}, p99 ${ms(c.p99_ms)})`, '']
        : [c.rps.toFixed(0), `p50 ${ms(c.p50_ms)}, p99 ${ms(c.p99_ms)}`];
    rows.push(
      ['1 Intake', 'requests/s', i.rps.toFixed(0), ''],
      ['', 'p50 / p99 / max', `${ms(i.p50_ms)} / ${ms(i.p99_ms)} / ${ms(i.max_ms)}`, 'p99 < 50 ms'],
      ['', 'errors', `${i.errors} of ${i.calls}`, '0'],
      ['', 'ceiling (a) Temporal client, calls/s', ...ceiling(a)],
      ['', 'ceiling (b) HTTP only, requests/s', ...ceiling(b)],
      [
        '',
        `intake / ceiling (a), median of ${intake.rounds.length} rounds`,
        `${spreadText(intake.rpsRatio)}`,
        '≥ 0.90',
      ],
      ['', 'intake p99 / ceiling (a) p99, median', `${spreadText(intake.p99Ratio)}`, '≤ 1.10'],
    );
    if (intake.bareRelay) {
      rows.push(
        ['', 'bare relay / ceiling (a), median', spreadText(intake.bareRelay.relayToCeilingA), ''],
        ['', 'intake / bare relay, median', spreadText(intake.bareRelay.intakeToRelay), ''],
        [
          '',
          'p99: relay / (a), intake / relay',
          `${spreadText(intake.bareRelay.relayP99ToCeilingA)}, ${spreadText(intake.bareRelay.intakeP99ToRelay)}`,
          '',
        ],
      );
    }
    if (intake.aaCheck) {
      rows.push(
        ['', 'A/A check: (a) again / (a), median', spreadText(intake.aaCheck.rpsRatio), 'noise only'],
        ['', 'A/A check: p99 / (a) p99, median', spreadText(intake.aaCheck.p99Ratio), 'noise only'],
      );
    }
    const cpu = intake.cpuMsPerCall;
    rows.push([
      '',
      'CPU ms per call: Temporal+worker, caller',
      `intake ${(cpu.intake.temporal + cpu.intake.worker).toFixed(1)}, ` +
        `${(cpu.intake.server + cpu.intake.bench).toFixed(2)} (server ${cpu.intake.server.toFixed(2)}); ` +
        `(a) ${(cpu.ceilingA.temporal + cpu.ceilingA.worker).toFixed(1)}, ${cpu.ceilingA.bench.toFixed(2)}`,
      '',
    ]);
    if (cpu.relay) {
      rows.push([
        '',
        'CPU ms per call, bare relay: the same',
        `${(cpu.relay.temporal + cpu.relay.worker).toFixed(1)}, ` +
          `${(cpu.relay.relay + cpu.relay.bench).toFixed(2)} (relay ${cpu.relay.relay.toFixed(2)})`,
        '',
      ]);
    }
    rows.push([
      '',
      'server CPU ms per delivery, warm-up',
      intake.warmupServerCpuMsPerCall.map((v) => v.toFixed(2)).join(' → '),
      'not measured: the JIT settling',
    ]);
    if (sideBySide) {
      rows.push(['', 'Temporal cores used (intake)', intake.cores.intake.temporal.toFixed(2), '']);
    }
  }
  if (collapse) {
    rows.push(
      [
        '2 Collapse',
        'workflows / replies / notes',
        `${collapse.workflows} / ${collapse.replies} / ${collapse.notes}`,
        `${collapse.tickets} / ${collapse.tickets} / ${collapse.tickets}`,
      ],
      [
        '',
        'time until the last note',
        `${collapse.seconds.toFixed(1)} s`,
        `${collapse.tickets * 3} deliveries`,
      ],
    );
  }
  if (drain) {
    rows.push(
      [
        '3 Drain',
        'time until every reply and note',
        `${drain.seconds.toFixed(1)} s`,
        `${drain.tickets} tickets`,
      ],
      [
        '',
        'theoretical minimum',
        `${drain.theoreticalSeconds.toFixed(1)} s`,
        'max(0, N − 40) / 2, N = calls made',
      ],
      ['', 'ratio', `${(drain.ratio * 100).toFixed(0)} %`, '≤ 110 %'],
      ['', '429s caused', String(drain.http429), '0'],
      ['', 'Gorgias calls per ticket', drain.callsPerTicket.toFixed(2), '≥ 4 (read, reply, read back, note)'],
    );
  }
  if (e2e) {
    rows.push(
      [
        '4 End to end',
        'p50 / p99 (202 → reply), back to back',
        `${ms(e2e.p50_ms)} / ${ms(e2e.p99_ms)}`,
        'p50 < 100 ms',
      ],
      [
        '',
        `p50 / p99, ${e2e.apart.pause_ms} ms apart`,
        `${ms(e2e.apart.p50_ms)} / ${ms(e2e.apart.p99_ms)}`,
        '',
      ],
    );
    const fast = e2e.fasterTransferReads;
    if (fast) {
      rows.push([
        '',
        'same, transferProcessorMaxPollRPS=1000',
        `${ms(fast.p50_ms)} / ${ms(fast.apart.p50_ms)} (p50 back to back / apart)`,
        '',
      ]);
    }
  }
  if (intake) {
    rows.push([
      '5 Footprint',
      'peak RSS worker / server',
      `${intake.footprint.workerPeakRssMb.toFixed(0)} MB / ${intake.footprint.serverPeakRssMb.toFixed(0)} MB`,
      'worker ≤ 250 MB (scenario 1 and 5 s after)',
    ]);
  }
  if (baseline) {
    rows.push(
      [
        '6 Baseline',
        'inline handler: lost / duplicated',
        `${baseline.lost} / ${baseline.duplicated}`,
        `per ${baseline.tickets} tickets`,
      ],
      ['', 'the service: lost / duplicated', `${baseline.ours_lost} / ${baseline.ours_duplicated}`, '0 / 0'],
    );
  }
  if (calls) {
    // The targets: a replied ticket ≤ 4 calls (confirmation included), a skipped one ≤ 1, one the
    // catch-up leaves out 0. With orders.read_customer on (off as shipped), the customer read is one more.
    const target = (kind: string) =>
      kind.includes('read_customer: true')
        ? '≤ 4, + 1 read opted in'
        : kind.startsWith('replied')
          ? '≤ 4'
          : kind.startsWith('skipped')
            ? '≤ 1'
            : '0';
    calls.rows.forEach((row, index) => {
      rows.push([
        index === 0 ? '7 Calls per ticket' : '',
        `${row.kind} (${row.outcomes.join(', ')})`,
        `${row.callsPerTicket.toFixed(2)} (max ${row.maxCalls})`,
        target(row.kind),
      ]);
    });
    const { listing, integrations } = calls.shared;
    rows.push(['', 'shared: catch-up listing, integration reads', `${listing}, ${integrations}`, '']);
  }
  return rows;
}
