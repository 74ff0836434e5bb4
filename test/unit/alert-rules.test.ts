import { describe, expect, it } from '@jest/globals';
import { METRICS } from '../../src/telemetry/coverage';
import { IntakeMetrics } from '../../src/telemetry/intake-metrics';
import {
  exposedMetricNames,
  metricsReadByRules,
  shippedAlertRules,
  type AlertRule,
} from '../support/alert-rules';
import { evaluate, parsePromQL, seriesFrom, type Series } from '../support/promql';

/**
 * deploy/prometheus/alerts.yml, evaluated against recorded series: each alert fires on a bad history and stays
 * quiet on a good one, and reads only metrics the service exports. (test/chaos/catch-up.test.ts scrapes a real
 * worker and webhook server and checks the names there too.)
 */

const rules = shippedAlertRules();

/** What the worker's exporter shows for our metrics: names as given, a histogram as its three series. */
const WORKER_METRICS = Object.values(METRICS).flatMap((name) =>
  name === METRICS.acknowledgementSeconds ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name],
);

async function intakeMetricNames(): Promise<string[]> {
  return [...exposedMetricNames(await new IntakeMetrics().registry.metrics())];
}

const START = Date.parse('2026-11-26T08:00:00Z');
/** Three hours of history, one sample a minute; alerts are judged at its end. */
const END = START + 180 * 60_000;

function firesAtEnd(rule: AlertRule, series: Series[]): boolean {
  const expr = parsePromQL(rule.expr);
  const holdMs = rule.for ? Number(/^(\d+)m$/.exec(rule.for)?.[1]) * 60_000 : 0;
  for (let t = END - holdMs; t <= END; t += 60_000) {
    const value = evaluate(expr, series, t);
    if (value.kind !== 'vector' || value.samples.length === 0) return false;
  }
  return true;
}

const due = (labels: string) =>
  `autoreply_tickets_due{store="default",channel="email",found_by="webhook",${labels}}`;
const ack = (le: string) =>
  `autoreply_acknowledgement_seconds_bucket{store="default",channel="email",le="${le}"}`;
/** A histogram whose observations all fall in the bucket ending at `le` (of 30, 600, 1800, +Inf). */
function acknowledgements(perMinute: number, le: '30' | '600' | '1800'): Record<string, string> {
  const buckets = ['30', '600', '1800', '+Inf'];
  return Object.fromEntries(
    buckets.map((b) => [ack(b), buckets.indexOf(b) >= buckets.indexOf(le) ? `0+${perMinute}x180` : '0x180']),
  );
}

/** Per alert: a history it must fire on, and one it must not. */
const SCENARIOS: Record<string, { bad: Record<string, string>; good: Record<string, string> }> = {
  AutoReplyHandBacks: {
    bad: {
      'autoreply_ticket_outcomes{outcome="replied",reason="none"}': '0+5x180',
      'autoreply_ticket_outcomes{outcome="failed",reason="gorgias-auth"}': '0x175 1 2 3 4 5',
    },
    good: {
      'autoreply_ticket_outcomes{outcome="replied",reason="none"}': '0+5x180',
      'autoreply_ticket_outcomes{outcome="failed",reason="gorgias-auth"}': '0x30 1x150',
    },
  },
  AutoReplyCoverageLow: {
    bad: { [due('result="acknowledged"')]: '0+1x180', [due('result="stale"')]: '0x120 0+1x60' },
    good: { [due('result="acknowledged"')]: '0+1x180', [due('result="stale"')]: '0x120 1x60' },
  },
  AutoReplySlowAcknowledgements: {
    bad: acknowledgements(1, '1800'),
    good: acknowledgements(1, '30'),
  },
  AutoReplyTicketsStale: {
    bad: { 'autoreply_catch_up_tickets{class="stale",channel="email"}': '0x150 1x30' },
    good: {
      'autoreply_catch_up_tickets{class="started",channel="email"}': '0+1x180',
      [due('result="acknowledged"')]: '0+1x180',
    },
  },
  AutoReplyTicketsMissed: {
    bad: { 'autoreply_catch_up_tickets{class="started",channel="email"}': '0x170 1x10' },
    good: { 'autoreply_catch_up_tickets{class="spam",channel="email"}': '0+1x180' },
  },
  AutoReplyWebhookSilent: {
    bad: { autoreply_webhook_silent_runs: '0x175 1 2 3 4 5' },
    good: { autoreply_webhook_silent_runs: '0x60 1x120' },
  },
  AutoReplyCatchUpCannotStart: {
    bad: { 'autoreply_catch_up_tickets{class="start-failed",channel="email"}': '0+1x180' },
    good: {
      'autoreply_catch_up_tickets{class="start-failed",channel="email"}': '0x60 1x120',
      'autoreply_catch_up_tickets{class="started",channel="email"}': '0+1x180',
    },
  },
  AutoReplyWebhookUnavailable: {
    bad: { 'webhook_deliveries_total{outcome="unavailable"}': '0x160 0+3x20' },
    good: {
      'webhook_deliveries_total{outcome="unavailable"}': '0x60 4x120',
      'webhook_deliveries_total{outcome="accepted"}': '0+20x180',
    },
  },
  AutoReplyWebhookRejected: {
    bad: { 'webhook_deliveries_total{outcome="rejected"}': '0+1x180' },
    good: { 'webhook_deliveries_total{outcome="rejected"}': '0x100 2x80' },
  },
};

describe('the alerting rules in deploy/prometheus', () => {
  it('every alert has a bad and a good history here', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual(Object.keys(SCENARIOS).sort());
  });

  it('read only metrics the service exports', async () => {
    const exported = new Set([...WORKER_METRICS, ...(await intakeMetricNames())]);
    const unknown = metricsReadByRules(rules).filter((n) => !exported.has(n));
    expect(unknown).toEqual([]);
  });

  it.each(rules.map((r) => [r.alert, r] as const))('%s fires on its bad history only', (_name, rule) => {
    const scenario = SCENARIOS[rule.alert];
    if (!scenario) throw new Error(`no history for ${rule.alert}`);
    expect(firesAtEnd(rule, seriesFrom(scenario.bad, START))).toBe(true);
    expect(firesAtEnd(rule, seriesFrom(scenario.good, START))).toBe(false);
  });
});

describe('the PromQL evaluator of that test', () => {
  const series = seriesFrom({ 'c{a="1"}': '0+60x10', 'c{a="2"}': '0+120x10' }, START);
  const at = START + 10 * 60_000;

  it('rate and increase extrapolate as Prometheus does', () => {
    expect(evaluate(parsePromQL('sum(rate(c[5m]))'), series, at)).toEqual({
      kind: 'vector',
      samples: [{ labels: {}, value: 3 }],
    });
    expect(evaluate(parsePromQL('increase(c{a="1"}[5m])'), series, at)).toEqual({
      kind: 'vector',
      samples: [{ labels: { a: '1' }, value: 300 }],
    });
  });

  it('refuses what it does not implement, so no rule passes unevaluated', () => {
    expect(() => parsePromQL('absent(c)')).toThrow();
    expect(() => parsePromQL('sum(c) > on(a) sum(c)')).toThrow();
  });
});
