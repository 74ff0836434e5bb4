import { GorgiasRequestError } from './failures';

export interface CallBudgetOptions {
  /** Gorgias's bucket until it reports its own: 40 calls for API-key integrations (80 for OAuth apps). */
  capacity: number;
  /**
   * The window the bucket drains in: it drains `capacity / windowSeconds` calls a second (40 per 20 s for
   * API-key integrations, 80 per 20 s for OAuth apps, 40 per 10 s on some plans). A capacity learnt from
   * Gorgias keeps this window, so a reported 80 drains 4 a second.
   */
  windowSeconds: number;
  /** Workers (processes with their own budget) calling Gorgias with this account; 1 by default. */
  workersSharingAccount?: number;
  /**
   * Slots each worker leaves free for calls this process cannot see yet; by default a tenth of the capacity,
   * at most 4 (see `headroom`).
   */
  headroomPerWorker?: number;
  /** A call whose wait for a slot would be longer than this fails at once, rate-limited, with the wait as its delay. */
  maxWaitMs: number;
  /**
   * The share of the account's limit this process may use, above 0 and at most 1 (the default): a report that
   * reads beside the running service takes a small one (`npm run scorecard -- --share`). Its calls then go at
   * most `share` of the bucket at once and `share` of the drain rate after, and only while the account's bucket
   * (as Gorgias reports it) is at most `share` full: the service's own calls keep the rest.
   */
  share?: number;
  /** A monotonic clock in milliseconds (default `performance.now`): a step of the wall clock changes nothing. */
  now?: () => number;
  /** Resolves after `ms` of `now`'s time, or early (or never) once `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface AcquireOptions {
  /** Gives up the wait: the call rejects at once and its place in the queue goes to the callers behind it. */
  signal?: AbortSignal;
  /** The longest this caller may wait for a slot, e.g. what is left of the activity attempt minus the HTTP timeout. */
  maxWaitMs?: number;
}

interface Waiter {
  /** The latest `now()` at which this caller may still get its slot. */
  deadline: number;
  resolve: () => void;
  reject: (error: GorgiasRequestError) => void;
}

/** Waits shorter than this (float dust of the drain arithmetic) count as none. */
const EPSILON_MS = 1e-6;

/**
 * A model of Gorgias's leaky bucket for one process: calls go out at once while the account has room (the
 * 40-call burst), then at the drain rate, first come first served. Gorgias reports the account's usage on every
 * answer (`X-Gorgias-Account-Api-Call-Limit: used/limit`); the model takes the larger of that and its own count,
 * so every worker sees the calls of the others within one answer, and a 429 fills it and pauses it until
 * `Retry-After`.
 *
 * Callers wait in a queue served by one timer: whenever something changes (a call arrives, one gives up,
 * Gorgias answers) the queue is looked at again, callers whose turn has come get their slot, and callers whose
 * turn would come after their deadline are told so at once (rate-limited, with the wait as the retry delay)
 * without taking a slot, so nobody waits behind a caller that has left.
 */
export class CallBudget {
  private level = 0;
  /** This process's own calls, in a bucket of `share` of the account's, draining at `share` of its rate. */
  private own = 0;
  private readonly share: number;
  private at: number;
  private pausedUntil = 0;
  private limit: number;
  private readonly waiters: Waiter[] = [];
  private timer: AbortController | undefined;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;

  constructor(private readonly options: CallBudgetOptions) {
    if (!(options.capacity > 0) || !(options.windowSeconds > 0)) {
      throw new RangeError('CallBudget: capacity and windowSeconds must be positive');
    }
    this.share = options.share ?? 1;
    if (!(this.share > 0 && this.share <= 1))
      throw new RangeError('CallBudget: share must be above 0, at most 1');
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? abortableSleep;
    this.limit = options.capacity;
    this.at = this.now();
  }

  /** The bucket's size: the configured capacity until Gorgias reports the account's. */
  get capacity(): number {
    return this.limit;
  }

  /** Calls a second the bucket drains: the capacity (as last learnt) over the window. */
  get drainPerSecond(): number {
    return this.limit / this.options.windowSeconds;
  }

  /**
   * Slots kept free for calls this model cannot see yet: those other workers made since the last answer this
   * worker read (and other integrations of the account). We size it from the number of workers sharing the
   * account, which the operator sets (GORGIAS_WORKERS_SHARING_ACCOUNT), rather than learning it from 429s:
   * learning costs a 429 per step and never knows when to come down, while the worker count is known where
   * the workers are scaled. Each worker counts for `headroomPerWorker` (a tenth of the capacity, at most 4:
   * about what one worker has in flight at the drain rate). It never takes the whole bucket: at least one
   * slot stays usable, even when Gorgias reports a tiny limit (1/1, 2/2), so calls still go at the drain rate.
   */
  get headroom(): number {
    const perWorker = this.options.headroomPerWorker ?? Math.min(4, Math.floor(this.limit / 10));
    const workers = Math.max(1, Math.floor(this.options.workersSharingAccount ?? 1));
    return Math.max(0, Math.min(this.limit - 1, perWorker * workers));
  }

  /**
   * Waits for a slot, first come first served, and counts the call. The wait is bounded by `maxWaitMs` (the
   * smaller of the caller's and the budget's): a caller that would wait longer is rejected at once with
   * `GorgiasRequestError('rate-limited', ..., retryAfterMs)`, the wait it was facing as the delay, and takes
   * no slot. An aborted `signal` rejects at once with `GorgiasRequestError('retryable', 'Gorgias call
   * cancelled ...')` and gives up the caller's place in the queue. Not an AbortError: `classifyFailure` passes
   * a GorgiasRequestError through but would make anything else a permanent (non-retryable) failure.
   */
  acquire(options: AcquireOptions = {}): Promise<void> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(cancelled());
    // A caller's bound that is not a number is no bound; one at or below 0 allows only a free slot now.
    const callerMaxWaitMs = Number.isNaN(options.maxWaitMs) ? undefined : options.maxWaitMs;
    const maxWaitMs = Math.min(this.options.maxWaitMs, callerMaxWaitMs ?? Infinity);
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index < 0) return;
        this.waiters.splice(index, 1);
        reject(cancelled());
        this.schedule();
      };
      const waiter: Waiter = {
        deadline: this.now() + Math.max(0, maxWaitMs),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.schedule();
    });
  }

  /** What Gorgias said about the account after a call. */
  observe(status: number, callLimitHeader: unknown, retryAfterMs: number | undefined): void {
    this.drain();
    const match =
      typeof callLimitHeader === 'string' ? /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(callLimitHeader) : null;
    if (match && Number(match[2]) > 0) {
      this.limit = Number(match[2]);
      this.level = Math.max(this.level, Number(match[1]));
    }
    if (status === 429) {
      this.level = Math.max(this.level, this.limit);
      if (retryAfterMs !== undefined)
        this.pausedUntil = Math.max(this.pausedUntil, this.now() + retryAfterMs);
    }
    // The queue's turns moved (later after a 429, sooner with a larger capacity): look at it again.
    if (this.waiters.length > 0) this.schedule();
  }

  private drain(): void {
    const now = this.now();
    // A monotonic clock never goes back; the guard keeps an injected one from filling the bucket if it does.
    const elapsed = Math.max(0, now - this.at);
    this.level = Math.max(0, this.level - (elapsed / 1000) * this.drainPerSecond);
    this.own = Math.max(0, this.own - (elapsed / 1000) * this.drainPerSecond * this.share);
    this.at = now;
  }

  /** How long, from now, until the caller at `position` in the queue (0: the first) gets its slot. */
  private waitFor(position: number): number {
    // A share below 1 also caps the account's level this process calls at: what is above it is the service's.
    const shareRoom = Math.max(1, this.share * this.limit);
    const room = Math.min(this.limit - this.headroom, shareRoom);
    const untilRoom = ((this.level + position + 1 - room) / this.drainPerSecond) * 1000;
    const untilOwnRoom =
      this.share < 1
        ? ((this.own + position + 1 - shareRoom) / (this.drainPerSecond * this.share)) * 1000
        : 0;
    const wait = Math.max(this.pausedUntil - this.now(), untilRoom, untilOwnRoom, 0);
    return wait < EPSILON_MS ? 0 : wait;
  }

  /** Serves the callers whose turn has come, turns away those who cannot wait for theirs, and sets the timer. */
  private schedule(): void {
    this.timer?.abort();
    this.timer = undefined;
    this.drain();
    const now = this.now();
    while (this.waiters.length > 0 && this.waitFor(0) === 0) {
      this.level += 1;
      this.own += 1;
      this.waiters.shift()?.resolve();
    }
    let position = 0;
    for (const waiter of [...this.waiters]) {
      const wait = this.waitFor(position);
      if (now + wait > waiter.deadline + EPSILON_MS) {
        this.waiters.splice(position, 1);
        waiter.reject(
          new GorgiasRequestError(
            'rate-limited',
            `Gorgias call budget exhausted for ${Math.ceil(wait)} ms`,
            undefined,
            Math.ceil(wait),
          ),
        );
      } else {
        position += 1;
      }
    }
    if (this.waiters.length === 0) return;
    const timer = new AbortController();
    this.timer = timer;
    // Whole milliseconds, rounded up: the first caller's turn has come when the timer fires.
    this.sleep(Math.ceil(this.waitFor(0) - EPSILON_MS), timer.signal).then(
      () => {
        if (this.timer === timer) this.schedule();
      },
      () => undefined,
    );
  }
}

function cancelled(): GorgiasRequestError {
  return new GorgiasRequestError('retryable', 'Gorgias call cancelled while waiting for the call budget');
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timeout = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    // A timer given up by the budget resolves nothing and keeps nothing alive.
    const onAbort = () => clearTimeout(timeout);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
