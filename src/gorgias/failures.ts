import { isAxiosError } from 'axios';
import { ZodError } from 'zod';

/**
 * Every failed Gorgias call becomes one of three kinds, decided here and nowhere else:
 * - `retryable`: 5xx, 408, timeouts, connection errors: try again with backoff;
 * - `rate-limited`: 429: try again after the `Retry-After` Gorgias sent;
 * - `permanent`: any other 4xx, or a response we cannot understand: retrying will not help.
 */
export type GorgiasFailureKind = 'retryable' | 'rate-limited' | 'permanent';

/** Cap on how long a `Retry-After` may make us wait. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

export class GorgiasRequestError extends Error {
  override readonly name = 'GorgiasRequestError';
  constructor(
    readonly kind: GorgiasFailureKind,
    message: string,
    readonly status?: number,
    /** For `rate-limited`: how long Gorgias asked us to wait. */
    readonly retryAfterMs?: number,
    readonly detail: {
      /** A write that got no answer (timeout, reset connection): Gorgias may or may not have done it. */
      outcomeUnknown?: boolean;
      /** Gorgias answered 2xx with a body we cannot read. */
      unreadable?: boolean;
    } = {},
  ) {
    super(message);
  }

  get outcomeUnknown(): boolean {
    return this.detail.outcomeUnknown === true;
  }

  get unreadable(): boolean {
    return this.detail.unreadable === true;
  }
}

/** Reads `Retry-After` (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: unknown, now: number = Date.now()): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const trimmed = value.trim();
  const ms = /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

export function kindForStatus(status: number): GorgiasFailureKind {
  if (status === 429) return 'rate-limited';
  if (status === 408 || status >= 500) return 'retryable';
  return 'permanent';
}

/** Pulls a short reason out of a Gorgias error body, whose nesting is not documented. */
function describeBody(data: unknown): string {
  if (typeof data === 'string') return data.slice(0, 300);
  if (data && typeof data === 'object') {
    const body = data as Record<string, unknown>;
    const error = body.error ?? body.message;
    if (typeof error === 'string') return error.slice(0, 300);
    if (error && typeof error === 'object') {
      const inner = error as Record<string, unknown>;
      const text = inner.msg ?? inner.message ?? inner.detail;
      const details = inner.data ? ` ${JSON.stringify(inner.data)}` : '';
      if (typeof text === 'string') return `${text}${details}`.slice(0, 300);
    }
    return JSON.stringify(data).slice(0, 300);
  }
  return '';
}

/**
 * Turns whatever a request threw into a GorgiasRequestError. The message names the method, path and
 * status only: never headers, which carry the credentials.
 */
export function classifyFailure(err: unknown, what: string): GorgiasRequestError {
  if (err instanceof GorgiasRequestError) return err;
  if (isAxiosError(err)) {
    const response = err.response;
    if (response) {
      const kind = kindForStatus(response.status);
      const reason = describeBody(response.data);
      const retryAfterMs =
        kind === 'rate-limited' ? parseRetryAfter(response.headers['retry-after']) : undefined;
      return new GorgiasRequestError(
        kind,
        `${what} failed: HTTP ${response.status}${reason ? ` (${reason})` : ''}`,
        response.status,
        retryAfterMs,
      );
    }
    const code = err.code ?? 'network error';
    const write = (err.config?.method ?? 'get').toLowerCase() !== 'get';
    return new GorgiasRequestError('retryable', `${what} failed: ${code}`, undefined, undefined, {
      outcomeUnknown: write,
    });
  }
  if (err instanceof ZodError) {
    const fields = [...new Set(err.issues.map((i) => i.path.join('.') || '(body)'))].slice(0, 5).join(', ');
    return new GorgiasRequestError(
      'permanent',
      `${what}: unreadable answer (${fields})`,
      undefined,
      undefined,
      {
        unreadable: true,
      },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new GorgiasRequestError('permanent', `${what} failed: ${message}`);
}
