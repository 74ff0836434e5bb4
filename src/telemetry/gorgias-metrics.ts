import type { MetricMeter } from '@temporalio/common';
import type { GorgiasCall } from '../gorgias/client';

/** Counts Gorgias API calls by method, route and status (429s separately), with their durations. */
export function gorgiasCallRecorder(meter: MetricMeter): (call: GorgiasCall) => void {
  const calls = meter.createCounter(
    'gorgias_api_calls',
    'calls',
    'Gorgias API calls by method, route and status',
  );
  const rateLimited = meter.createCounter(
    'gorgias_api_rate_limited',
    'calls',
    'Gorgias answers 429 Too Many Requests',
  );
  const duration = meter.createHistogram('gorgias_api_duration', 'int', 'ms', 'Gorgias API call duration');
  return ({ method, route, status, durationMs }) => {
    calls.add(1, { method, route, status: status === 0 ? 'no-answer' : String(status) });
    if (status === 429) rateLimited.add(1, { route });
    duration.record(durationMs, { method, route });
  };
}
