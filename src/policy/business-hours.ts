import { DateTime } from 'luxon';
import { rangeMinutes, WEEKDAYS, type BusinessHours } from './schema';

export interface Opening {
  open: boolean;
  /** When the team is next open (null when open now, or nothing opens in the next 60 days). */
  nextOpening: DateTime | null;
}

const LOOKAHEAD_DAYS = 60;

/**
 * The opening ranges that start on `day` (the start of a day in the policy's timezone), as instants, in order.
 * A range over midnight ends on the next day; it belongs to the day it starts on, holidays included. Times
 * are wall-clock times: luxon moves one that a DST change skips to the first instant after the gap.
 */
function ranges(hours: BusinessHours, day: DateTime): [DateTime, DateTime][] {
  if (hours.holidays.includes(day.toISODate() ?? '')) return [];
  const weekday = WEEKDAYS[day.weekday - 1] ?? 'monday';
  const at = (minutes: number) => {
    const date = day.plus({ days: Math.floor(minutes / (24 * 60)) });
    const minuteOfDay = minutes % (24 * 60);
    return date.set({
      hour: Math.floor(minuteOfDay / 60),
      minute: minuteOfDay % 60,
      second: 0,
      millisecond: 0,
    });
  };
  return hours.weekly[weekday]
    .map((range) => {
      const { from, to } = rangeMinutes(range);
      return [at(from), at(to)] as [DateTime, DateTime];
    })
    .sort(([a], [b]) => a.toMillis() - b.toMillis());
}

/** Whether the team is open at `at`, in the policy's timezone, and when it next opens. */
export function openingAt(hours: BusinessHours, at: Date): Opening {
  const now = DateTime.fromJSDate(at, { zone: hours.timezone });
  const today = now.startOf('day');
  // Yesterday's ranges too: one over midnight may still be open.
  for (const [from, to] of ranges(hours, today.minus({ days: 1 }))) {
    if (from <= now && now < to) return { open: true, nextOpening: null };
  }
  for (let offset = 0; offset < LOOKAHEAD_DAYS; offset += 1) {
    for (const [from, to] of ranges(hours, today.plus({ days: offset }))) {
      if (from <= now && now < to) return { open: true, nextOpening: null };
      if (from > now) return { open: false, nextOpening: from };
    }
  }
  return { open: false, nextOpening: null };
}

/** "Monday 5 January, 09:00 CET", in the ticket's language where luxon knows it. */
export function describeOpening(opening: DateTime, language: string | null): string {
  return opening.setLocale(localeOf(language)).toFormat('cccc d LLLL, HH:mm ZZZZ');
}

/**
 * A locale Intl accepts, from Gorgias's ticket language: `en_US` (Gorgias's form) becomes `en-US`; anything
 * Intl rejects falls back to its bare language, then to English, never to an error.
 */
export function localeOf(language: string | null): string {
  const tag = (language ?? '').trim().replace(/_/g, '-');
  for (const candidate of [tag, tag.split('-')[0] ?? '']) {
    if (!candidate) continue;
    try {
      if (Intl.DateTimeFormat.supportedLocalesOf([candidate]).length > 0) return candidate;
    } catch {
      // Not a well-formed language tag: try the next candidate.
    }
  }
  return 'en';
}
