import type { Client, Connection } from '@temporalio/client';
import type { Logger } from '../logging';
import type { Policy } from '../policy/schema';
import { syncCatchUpSchedule } from './catch-up-schedule';
import { ensureSearchAttributes } from './search-attributes';

/** Search attributes and the catch-up Schedule: registered by whichever worker starts first, harmless after. */
export async function prepareNamespace(options: {
  client: Client;
  connection: Connection;
  taskQueue: string;
  policy: Policy;
  logger: Logger;
}): Promise<void> {
  const { client, logger } = options;
  try {
    const added = await ensureSearchAttributes(options.connection, client.options.namespace);
    if (added.length > 0) logger.info({ added }, 'registered search attributes');
  } catch (err) {
    // Temporal Cloud registers them in its UI or with tcld, not through this API.
    logger.warn(
      { error: String(err) },
      'could not register search attributes; register them by hand (see README)',
    );
  }
  const schedule = await syncCatchUpSchedule(client, options.taskQueue, options.policy);
  logger.info({ schedule }, 'catch-up schedule');
}
