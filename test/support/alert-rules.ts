import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { metricNames, parsePromQL } from './promql';
import { REPO_ROOT } from '../../harness/repo';

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
}

/** The alerting rules the service ships (deploy/prometheus/alerts.yml). */
export function shippedAlertRules(): AlertRule[] {
  const file = readFileSync(join(REPO_ROOT, 'deploy', 'prometheus', 'alerts.yml'), 'utf8');
  return (parseYaml(file) as { groups: { rules: AlertRule[] }[] }).groups.flatMap((g) => g.rules);
}

/** Every metric name the rules read. */
export function metricsReadByRules(rules: AlertRule[]): string[] {
  return [...new Set(rules.flatMap((r) => metricNames(parsePromQL(r.expr))))];
}

/** The metric names in a Prometheus text exposition (`/metrics`). */
export function exposedMetricNames(text: string): Set<string> {
  return new Set([...text.matchAll(/^([a-zA-Z_:][\w:]*)[{ ]/gm)].map((m) => m[1] as string));
}
