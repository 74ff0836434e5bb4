import type { Config } from '../config';
import { CallBudget, type CallBudgetOptions } from './call-budget';
import { GorgiasClient, type GorgiasClientOptions } from './client';

/**
 * The Gorgias client as the configuration describes it: account, credentials, timeout and call budget. A report
 * reading beside the service takes a `share` of the budget and may wait longer for its turn (`maxWaitMs`).
 */
export function gorgiasClientFrom(
  config: Config<'gorgias'>,
  onCall?: GorgiasClientOptions['onCall'],
  budget: Partial<Pick<CallBudgetOptions, 'share' | 'maxWaitMs'>> = {},
): GorgiasClient {
  const settings = config.gorgias;
  return new GorgiasClient({
    baseUrl: settings.GORGIAS_BASE_URL,
    username: settings.GORGIAS_USERNAME,
    apiKey: settings.GORGIAS_API_KEY,
    timeoutMs: settings.GORGIAS_HTTP_TIMEOUT_MS,
    onCall,
    budget: new CallBudget({
      capacity: settings.GORGIAS_RATE_LIMIT_BURST,
      windowSeconds: settings.GORGIAS_RATE_LIMIT_WINDOW_SECONDS,
      // Room for calls this worker cannot see yet (other workers' in flight, other integrations): a tenth of
      // the bucket, at most 4, for each worker sharing the account (CallBudget.headroom).
      workersSharingAccount: settings.GORGIAS_WORKERS_SHARING_ACCOUNT,
      // Past this, the activity fails its attempt with the wait as its retry delay instead of holding a slot.
      maxWaitMs: budget.maxWaitMs ?? 8_000,
      share: budget.share,
    }),
  });
}
