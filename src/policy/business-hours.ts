import { DateTime } from 'luxon';
import { WEEKDAYS, type BusinessHours } from './schema';

export interface Opening {
  open: boolean;
  /** When the team is next open (null when open now, or nothing opens in the next 60 days). */
  nextOpening: DateTime | null;
}

const LOOKAHEAD_DAYS = 60;

function ranges(hours: BusinessHours, day: DateTime): [DateTime, DateTime][] {
  if (hours.holidays.includes(day.toISODate() ?? '')) return [];
  const weekday = WEEKDAYS[day.weekday - 1] ?? 'monday';
  return hours.weekly[weekday]
    .map((range) => {
      const [from = '00:00', to = '00:00'] = range.split('-');
      const at = (hhmm: string) => {
        const [hour, minute] = hhmm.split(':').map(Number);
        return day.set({ hour, minute, second: 0, millisecond: 0 });
      };
      return [at(from), at(to)] as [DateTime, DateTime];
    })
    .sort(([a], [b]) => a.toMillis() - b.toMillis());
}

/** Whether the team is open at `at`, in the policy's timezone, and when it next opens. */
export function openingAt(hours: BusinessHours, at: Date): Opening {
  const now = DateTime.fromJSDate(at, { zone: hours.timezone });
  for (let offset = 0; offset < LOOKAHEAD_DAYS; offset += 1) {
    const day = now.startOf('day').plus({ days: offset });
    for (const [from, to] of ranges(hours, day)) {
      if (offset === 0 && from <= now && now < to) return { open: true, nextOpening: null };
      if (from > now) return { open: false, nextOpening: from };
    }
  }
  return { open: false, nextOpening: null };
}

/** "Monday 5 January, 09:00 CET", in the ticket's language where luxon knows it. */
export function describeOpening(opening: DateTime, language: string | null): string {
  return opening.setLocale(language || 'en').toFormat('cccc d LLLL, HH:mm ZZZZ');
}
