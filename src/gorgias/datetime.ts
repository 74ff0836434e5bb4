/**
 * Gorgias writes datetimes as ISO 8601, usually with an offset (`2025-03-04T09:12:44.120311+00:00`), but its
 * own API documentation shows them without one (`2020-01-27T10:42:21.468912`), which `Date.parse` would read
 * as the machine's local time. Gorgias's datetimes are UTC: a missing offset means UTC.
 */

const HAS_OFFSET = /(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** Milliseconds since the epoch, or null when the value is not a datetime. */
export function parseGorgiasDatetime(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (text === '') return null;
  const utc = HAS_OFFSET.test(text) || DATE_ONLY.test(text) ? text : `${text}Z`;
  const ms = Date.parse(utc);
  return Number.isFinite(ms) ? ms : null;
}

/** The same instant as a canonical ISO string (`...Z`), or null. */
export function normalizeGorgiasDatetime(value: unknown): string | null {
  const ms = parseGorgiasDatetime(value);
  return ms === null ? null : new Date(ms).toISOString();
}
