/**
 * How much of a field of Gorgias's answers the service keeps (docs/guarantees.md, "Limits"). A customer types a
 * subject, a name, an address of any size, and a shop's data (tags, Shopify orders) has no limit we know of; what
 * enters a workflow's history must stay far below Temporal's payload limits (src/temporal/payload-limits.ts).
 * Text is clipped; a value that cannot be real (an address over 254 characters, a link over 2,048) reads as
 * missing rather than cut, for a cut one would be another address or link. (The subject and the customer's name
 * are clipped shorter still where a reply may repeat them: activities/customer-echo.ts.)
 */
export const FIELD_LIMITS = {
  /** RFC 5321: a path holds at most 256 octets with its angle brackets. */
  addressChars: 254,
  /** A display name: an address's, an integration's. */
  nameChars: 100,
  /** A value from a small set: a status, a channel, a language, Shopify's statuses, a date as written. */
  tokenChars: 64,
  /** The tags a ticket is read with (the first ones), and their length: a longer tag is not read. */
  tags: 100,
  tagChars: 200,
  /** A Shopify order's name (`#1042`), and its tracking number. */
  orderNameChars: 64,
  trackingNumberChars: 100,
  /** A link longer than this is not a link a reply should carry. */
  linkChars: 2048,
} as const;

/** The text's first `maxChars` characters (code points: a character is never cut in half). */
export function clipped(text: string, maxChars: number): string {
  // `maxChars` code points lie within the first 2 × maxChars code units: a megabyte is never spread out whole.
  if (text.length <= maxChars) return text;
  const chars = Array.from(text.slice(0, 2 * maxChars));
  return chars.length <= maxChars ? chars.join('') : chars.slice(0, maxChars).join('');
}

/** Trimmed and clipped; null for nothing (null, empty, blank). */
export function clippedText(text: string | null | undefined, maxChars: number): string | null {
  const trimmed = text?.trim();
  return trimmed ? clipped(trimmed, maxChars) : null;
}

/** Trimmed; null for nothing, or for a value longer than `maxChars` (a value that must not be cut). */
export function withinOrNull(text: string | null | undefined, maxChars: number): string | null {
  const trimmed = text?.trim();
  return trimmed && trimmed.length <= maxChars ? trimmed : null;
}

/** An email address as read: trimmed; null when there is none or it is too long to be one. */
export function boundedAddress(address: string | null | undefined): string | null {
  return withinOrNull(address, FIELD_LIMITS.addressChars);
}
