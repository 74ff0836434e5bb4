import { describe, expect, it } from '@jest/globals';
import { describeOpening, openingAt } from '../../src/policy/business-hours';
import { parsePolicy } from '../../src/policy/load';
import type { BusinessHours } from '../../src/policy/schema';

/** Business hours in Paris (UTC+1 in winter, UTC+2 in summer). */
function paris(weekly: Partial<BusinessHours['weekly']>, holidays: string[] = []): BusinessHours {
  const policy = parsePolicy({
    templates: { acknowledgement: { subject: 'Re', body: 'Hi' } },
    business_hours: { timezone: 'Europe/Paris', weekly, holidays },
  });
  if (!policy.business_hours) throw new Error('no business hours');
  return policy.business_hours;
}

function at(hours: BusinessHours, iso: string) {
  const { open, nextOpening } = openingAt(hours, new Date(iso));
  return { open, nextOpening: nextOpening?.toUTC().toISO() ?? null };
}

describe('business hours', () => {
  // Friday 27 November 2026 to Saturday 28 November, Paris at UTC+1.
  const lateFriday = paris({ friday: ['22:00-02:00'] });

  it('the next opening reads in the ticket language, whatever form Gorgias gives it (en_US, fr, nonsense)', () => {
    const { nextOpening } = openingAt(lateFriday, new Date('2026-11-27T12:00:00Z'));
    if (!nextOpening) throw new Error('expected a next opening');
    expect(describeOpening(nextOpening, 'en_US')).toBe('Friday 27 November, 22:00 GMT+1');
    expect(describeOpening(nextOpening, 'fr')).toBe('vendredi 27 novembre, 22:00 UTC+1');
    expect(describeOpening(nextOpening, 'zz-ZZZ')).toBe('Friday 27 November, 22:00 GMT+1');
    expect(describeOpening(nextOpening, null)).toBe('Friday 27 November, 22:00 GMT+1');
  });

  it('a range over midnight is open from its start to midnight, and after midnight until its end', () => {
    expect(at(lateFriday, '2026-11-27T20:59:00Z')).toEqual({
      open: false,
      nextOpening: '2026-11-27T21:00:00.000Z',
    });
    expect(at(lateFriday, '2026-11-27T21:00:00Z')).toEqual({ open: true, nextOpening: null });
    expect(at(lateFriday, '2026-11-27T22:59:00Z')).toEqual({ open: true, nextOpening: null });
    // Saturday 00:30 and 01:59 in Paris: still Friday's range.
    expect(at(lateFriday, '2026-11-27T23:30:00Z')).toEqual({ open: true, nextOpening: null });
    expect(at(lateFriday, '2026-11-28T00:59:00Z')).toEqual({ open: true, nextOpening: null });
    // Saturday 02:00: closed until next Friday 22:00.
    expect(at(lateFriday, '2026-11-28T01:00:00Z')).toEqual({
      open: false,
      nextOpening: '2026-12-04T21:00:00.000Z',
    });
  });

  it('the part after midnight belongs to the day the range starts on, holidays included', () => {
    const fridayOff = paris({ friday: ['22:00-02:00'] }, ['2026-11-27']);
    expect(at(fridayOff, '2026-11-27T23:30:00Z')).toEqual({
      open: false,
      nextOpening: '2026-12-04T21:00:00.000Z',
    });
    const saturdayOff = paris({ friday: ['22:00-02:00'] }, ['2026-11-28']);
    expect(at(saturdayOff, '2026-11-27T23:30:00Z')).toEqual({ open: true, nextOpening: null });
  });

  it('the next opening can be a range that starts late tonight, or one that ends at 24:00', () => {
    const sunday = paris({ sunday: ['23:00-01:00'], monday: ['09:00-12:00'] });
    // Sunday 29 November, 12:00 in Paris.
    expect(at(sunday, '2026-11-29T11:00:00Z').nextOpening).toBe('2026-11-29T22:00:00.000Z');
    // Monday 00:30: Sunday's range; Monday 01:00: closed until 09:00.
    expect(at(sunday, '2026-11-29T23:30:00Z').open).toBe(true);
    expect(at(sunday, '2026-11-30T00:00:00Z').nextOpening).toBe('2026-11-30T08:00:00.000Z');

    const untilMidnight = paris({ friday: ['22:00-24:00'], saturday: ['00:00-02:00'] });
    expect(at(untilMidnight, '2026-11-27T22:59:59Z').open).toBe(true);
    expect(at(untilMidnight, '2026-11-27T23:00:00Z').open).toBe(true);
    expect(at(untilMidnight, '2026-11-28T01:00:00Z').nextOpening).toBe('2026-12-04T21:00:00.000Z');
  });

  it('follows the wall clock across DST changes', () => {
    const saturdayNight = paris({ saturday: ['22:00-03:00'] });
    // Spring forward on Sunday 29 March 2026: 22:00 CET (21:00Z) to 03:00 CEST (01:00Z), four hours.
    expect(at(saturdayNight, '2026-03-28T12:00:00Z').nextOpening).toBe('2026-03-28T21:00:00.000Z');
    expect(at(saturdayNight, '2026-03-29T00:59:00Z').open).toBe(true);
    expect(at(saturdayNight, '2026-03-29T01:00:00Z').open).toBe(false);
    // Fall back on Sunday 25 October 2026: 22:00 CEST (20:00Z) to 03:00 CET (02:00Z), six hours.
    expect(at(saturdayNight, '2026-10-24T19:59:00Z').nextOpening).toBe('2026-10-24T20:00:00.000Z');
    expect(at(saturdayNight, '2026-10-25T01:30:00Z').open).toBe(true);
    expect(at(saturdayNight, '2026-10-25T02:00:00Z').open).toBe(false);
    // After the change, the same wall-clock hours: 22:00 CET is 21:00Z.
    expect(at(saturdayNight, '2026-10-25T12:00:00Z').nextOpening).toBe('2026-10-31T21:00:00.000Z');
  });
});
