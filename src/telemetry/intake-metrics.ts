import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export const DELIVERY_OUTCOMES = [
  'accepted',
  'duplicate',
  'ignored',
  'limit-reached',
  'rejected',
  'misconfigured',
  'unavailable',
] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

/** The webhook server's metrics, served at GET /metrics in Prometheus format. */
export class IntakeMetrics {
  readonly registry = new Registry();
  private readonly deliveries = new Counter({
    name: 'webhook_deliveries_total',
    help: 'Gorgias webhook deliveries by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'webhook_intake_duration_seconds',
    help: 'Time from receiving a delivery to answering it, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    for (const outcome of DELIVERY_OUTCOMES) {
      this.deliveries.labels(outcome).inc(0);
    }
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  observe(outcome: DeliveryOutcome, seconds: number): void {
    this.deliveries.labels(outcome).inc();
    this.latency.labels(outcome).observe(seconds);
  }
}
