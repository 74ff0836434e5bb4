import { checkAccount, type AccountCheck, type AccountCheckInput } from '../gorgias/account-check';
import type { Logger } from '../logging';

/** Pauses between tries while Gorgias does not answer: about half a minute in all. */
const RETRY_DELAYS_MS = [1_000, 2_000, 4_000, 8_000, 16_000];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The account check (src/gorgias/account-check.ts) as the worker runs it before it starts, its result logged: an answer
 * that says the configuration is wrong (401, 403, 404, not a Gorgias account) is final, and the caller refuses to
 * start on it; while Gorgias does not answer (5xx, timeouts, 429) it asks again, and after the last try the worker
 * starts all the same (its activities retry their calls), with the reason logged.
 */
export async function accountAtStart(
  input: AccountCheckInput,
  logger: Logger,
  delaysMs: readonly number[] = RETRY_DELAYS_MS,
): Promise<AccountCheck> {
  let check = await checkAccount(input);
  for (const delay of delaysMs) {
    if (check.status !== 'unreachable') break;
    logger.warn({ retryInMs: delay }, `Gorgias account not checked yet: ${check.reason}`);
    await sleep(delay);
    check = await checkAccount(input);
  }
  if (check.status === 'ok') {
    logger.info({ domain: check.domain, warnings: check.warnings.length }, 'Gorgias account checked');
  } else if (check.status === 'unreachable') {
    logger.warn(`Gorgias account not checked, starting all the same: ${check.reason}`);
  } else if (check.status === 'misconfigured') {
    logger.error(`Gorgias account misconfigured: ${check.reason}`);
  }
  for (const warning of check.warnings) logger.warn({ warning: warning.kind }, warning.message);
  return check;
}
