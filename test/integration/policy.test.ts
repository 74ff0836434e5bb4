import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { CATCH_UP_SCHEDULE_ID, syncCatchUpSchedule } from '../../src/temporal/catch-up-schedule';
import { stateQuery, workflowIdForTicket, type CatchUpWorkflow } from '../../src/workflows/definitions';
import { createTemporalEnv } from '../support/temporal';
import { policyWith, TestStack, type StackOptions } from '../support/stack';
import { waitUntil } from '../support/waiting';
import { agentReply } from '../../src/sandbox/sample-ticket';
import { describeOpening, openingAt } from '../../src/policy/business-hours';
import { parsePolicy, PolicyError } from '../../src/policy/load';
import type { BusinessHours } from '../../src/policy/schema';

let env: TestWorkflowEnvironment;
const stacks: TestStack[] = [];

beforeAll(async () => {
  env = await createTemporalEnv();
}, 120_000);

afterAll(async () => {
  for (const stack of stacks) await stack.close();
  await env?.teardown();
});

/** A stack whose worker runs the default policy with some keys replaced. */
async function stackWith(options: StackOptions): Promise<TestStack> {
  const stack = await TestStack.start(env, options);
  stacks.push(stack);
  return stack;
}

async function runTicket(stack: TestStack, ticketId: number) {
  expect((await stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' })).status).toBe(202);
  return stack.result(ticketId);
}

describe('the reply policy, end to end', () => {
  let standard: TestStack;
  beforeAll(async () => {
    standard = await stackWith({});
  });

  it('a dry run posts only a note with the reply it would have sent', async () => {
    const stack = await stackWith({ policy: { dry_run: true } });
    const ticketId = await stack.seedTicket({ customerName: 'Ada Byron' });
    expect(await runTicket(stack, ticketId)).toMatchObject({ outcome: 'dry-run' });
    const { replies, notes } = stack.posted(ticketId);
    expect(replies).toEqual([]);
    expect(notes).toHaveLength(1);
    expect(notes[0]?.body_text).toContain('Dry run: would have replied to');
    expect(notes[0]?.body_text).toContain('Hi Ada,');
    const described = await env.client.workflow.getHandle(workflowIdForTicket(ticketId)).describe();
    expect(described.searchAttributes.AutoReplyOutcome).toEqual(['dry-run']);
  });

  it('a customer who got an auto-reply minutes ago is not answered again on a new ticket', async () => {
    const customerEmail = 'repeat.writer@example.org';
    const first = await standard.seedTicket({ customerEmail });
    expect(await runTicket(standard, first)).toMatchObject({ outcome: 'replied' });
    const second = await standard.seedTicket({ customerEmail, subject: 'One more thing' });
    expect(await runTicket(standard, second)).toMatchObject({ outcome: 'skipped', reason: 'cooldown' });
    const described = await env.client.workflow.getHandle(workflowIdForTicket(second)).describe();
    expect(described.searchAttributes).toMatchObject({
      AutoReplyOutcome: ['skipped'],
      AutoReplyReason: ['cooldown'],
      CustomerEmail: [customerEmail],
      GorgiasTicketId: [second],
    });
  });

  it('tickets with the skip tag, auto-submitted mail or a rule reply are skipped', async () => {
    const tagged = await standard.seedTicket({}, { tags: [{ name: 'no-auto-reply' }] });
    expect(await runTicket(standard, tagged)).toMatchObject({ reason: 'skip-tag' });

    const outOfOffice = await standard.seedTicket({ body: 'I am out of office' });
    await standard.gorgias.createMessage(outOfOffice, {
      channel: 'email',
      via: 'email',
      from_agent: false,
      sender: { email: 'someone@example.org' },
      source: {
        type: 'email',
        from: { address: 'someone@example.org' },
        to: [{ address: 'support@shop.example.com' }],
      },
      body_text: 'Automatic reply: I am away',
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    expect(await runTicket(standard, outOfOffice)).toMatchObject({ reason: 'auto-submitted' });

    const ruled = await standard.seedTicket();
    await standard.gorgias.createMessage(
      ruled,
      agentReply('Thanks, we got your email (Gorgias autoresponder).', { via: 'rule' }),
    );
    expect(await runTicket(standard, ruled)).toMatchObject({ reason: 'rule-replied-first' });
  });

  it('replies in the ticket language, falling back to the default', async () => {
    const french = await standard.seedTicket({ customerName: 'Élodie Martin' }, { language: 'fr' });
    await runTicket(standard, french);
    const [reply] = standard.posted(french).replies;
    expect(reply?.body_text).toContain('Bonjour Élodie,');
    expect(reply?.subject).toBe('Re : Where is my order #1042?');

    const german = await standard.seedTicket({ customerName: 'Jonas Weber' }, { language: 'de' });
    await runTicket(standard, german);
    expect(standard.posted(german).replies[0]?.body_text).toContain('Hi Jonas,');
  });

  it('outside business hours it uses the outside-hours template and says when the team is back', async () => {
    const sundayEvening = new Date('2026-11-29T19:00:00Z'); // Sunday 20:00 in Paris
    const stack = await stackWith({
      now: () => sundayEvening,
      policy: {
        business_hours: {
          timezone: 'Europe/Paris',
          weekly: { monday: ['09:00-17:00'], tuesday: ['09:00-17:00'] },
          holidays: ['2026-11-30'],
        },
      },
    });
    const ticketId = await stack.seedTicket();
    expect(await runTicket(stack, ticketId)).toMatchObject({ outcome: 'replied' });
    const [reply] = stack.posted(ticketId).replies;
    // Monday 30 November is a holiday: the next opening is Tuesday.
    expect(reply?.body_text).toContain(
      'Our team is away right now; we will answer from Tuesday 1 December, 09:00',
    );
    expect(stack.posted(ticketId).notes[0]?.body_text).toContain('template acknowledgement/outside-hours');
  });

  it('before a range over midnight opens, the outside-hours reply says when it opens that evening', async () => {
    const fridayEvening = new Date('2026-11-27T20:00:00Z'); // Friday 21:00 in Paris
    const stack = await stackWith({
      now: () => fridayEvening,
      policy: { business_hours: { timezone: 'Europe/Paris', weekly: { friday: ['22:00-02:00'] } } },
    });
    const ticketId = await stack.seedTicket();
    expect(await runTicket(stack, ticketId)).toMatchObject({ outcome: 'replied' });
    expect(stack.posted(ticketId).replies[0]?.body_text).toContain(
      'we will answer from Friday 27 November, 22:00',
    );
  });

  it('waits the configured delay, absorbing deliveries, and does not reply when an agent answered meanwhile', async () => {
    const stack = await stackWith({ policy: { timing: { delay_seconds: 3 } } });
    const answered = await stack.seedTicket();
    const untouched = await stack.seedTicket();
    await stack.deliver({ ticket_id: answered }, { event: 'ticket-created' });
    await stack.deliver({ ticket_id: untouched }, { event: 'ticket-created' });
    const handle = env.client.workflow.getHandle(workflowIdForTicket(answered));
    await waitUntil(async () => (await handle.query(stateQuery)).phase === 'waiting', 20_000);
    await stack.deliver({ ticket_id: answered }, { event: 'ticket-updated' });
    await stack.gorgias.createMessage(answered, agentReply('Hi, an agent here.'));

    expect(await stack.result(answered)).toMatchObject({ outcome: 'skipped', reason: 'agent-replied-first' });
    expect(await stack.result(untouched)).toMatchObject({ outcome: 'replied' });
    const state = await handle.query(stateQuery);
    expect(state.deliveries.map((d) => d.trigger)).toEqual(['ticket-created', 'ticket-updated']);
  });

  it('an acknowledgement past the staleness cutoff is not sent: the ticket goes back to humans', async () => {
    const created = new Date(Date.now() - 45 * 60_000).toISOString();
    const ticketId = await standard.seedTicket({}, { created_datetime: created });
    const error = await runTicket(standard, ticketId).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause).toMatchObject({ type: 'AutoReplyFailed' });
    expect((error as WorkflowFailedError).cause?.message).toMatch(/^stale: /);
    const { replies, notes } = standard.posted(ticketId);
    expect(replies).toEqual([]);
    expect(notes[0]?.body_text).toContain('Auto-reply failed (stale)');
    expect((await standard.gorgias.getTicket(ticketId)).tags?.map((t) => t.name)).toContain(
      'auto-reply-failed',
    );
  });
});

describe('catching up on lost webhooks', () => {
  it('starts the workflow of every recent ticket that has none, once; never a trashed one; lists failed ones', async () => {
    const stack = await stackWith({});
    const answered = await stack.seedTicket();
    await runTicket(stack, answered);
    const unreachable = 'unreachable.reader@example.org';
    stack.sandbox.setSending({ failAddresses: [unreachable] });
    const handedBack = await stack.seedTicket({ customerEmail: unreachable });
    await runTicket(stack, handedBack).catch(() => undefined);
    const trashed = await stack.seedTicket();
    stack.sandbox.trashTicket(trashed);
    const lost = [await stack.seedTicket(), await stack.seedTicket()];

    const run = () =>
      env.client.workflow.execute<CatchUpWorkflow>('catchUpWorkflow', {
        taskQueue: stack.config.temporal.TEMPORAL_TASK_QUEUE,
        workflowId: `catch-up-test-${Math.random()}`,
        args: [{ lookbackMinutes: 30 }],
      });
    const first = await run();
    expect(first.started.sort()).toEqual([...lost].sort());
    expect(first.handedBack).toEqual([handedBack]);
    expect(await stack.hasWorkflow(trashed)).toBe(false);
    for (const ticketId of lost) expect(await stack.result(ticketId)).toMatchObject({ outcome: 'replied' });
    expect((await run()).started).toEqual([]);
    expect(stack.posted(answered).replies).toHaveLength(1);
  });

  it('runs from a Temporal Schedule that follows the policy', async () => {
    const stack = await stackWith({});
    const taskQueue = stack.config.temporal.TEMPORAL_TASK_QUEUE;
    expect(await syncCatchUpSchedule(env.client, taskQueue, stack.policy)).toBe('created');
    const slower = { ...stack.policy, catch_up: { enabled: true, every_minutes: 15 } };
    expect(await syncCatchUpSchedule(env.client, taskQueue, slower)).toBe('updated');
    const described = await env.client.schedule.getHandle(CATCH_UP_SCHEDULE_ID).describe();
    expect(described.spec.intervals?.[0]?.every).toBe(15 * 60_000);

    const lost = await stack.seedTicket();
    await env.client.schedule.getHandle(CATCH_UP_SCHEDULE_ID).trigger();
    await waitUntil(async () => {
      try {
        await env.client.workflow.getHandle(workflowIdForTicket(lost)).describe();
        return true;
      } catch {
        return false;
      }
    }, 20_000);
    expect(await stack.result(lost)).toMatchObject({ outcome: 'replied' });
    const off = { ...stack.policy, catch_up: { enabled: false, every_minutes: 5 } };
    expect(await syncCatchUpSchedule(env.client, taskQueue, off)).toBe('removed');
  });
});

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

/** The problems parsePolicy reports for a policy with these keys (and a template). */
function problemsOf(policy: Record<string, unknown>): string[] {
  try {
    parsePolicy({ templates: { acknowledgement: { subject: 'Re', body: 'Hi' } }, ...policy });
  } catch (err) {
    if (err instanceof PolicyError) return err.problems;
    throw err;
  }
  return [];
}

describe('checks across keys of the policy', () => {
  it('a delay at or past the staleness limit is refused, naming both keys', () => {
    const [problem, ...others] = problemsOf({ timing: { delay_seconds: 1800, stale_after_minutes: 30 } });
    expect(others).toEqual([]);
    expect(problem).toMatch(/^timing\.delay_seconds: /);
    expect(problem).toContain('timing.stale_after_minutes (30 min)');
    expect(problem).toContain(
      'lower delay_seconds to at most 1500 or raise stale_after_minutes to at least 35',
    );
    expect(problemsOf({ timing: { delay_seconds: 3600 } })[0]).toContain(
      'raise stale_after_minutes to at least 65',
    );
  });

  it('a delay must leave at least 5 minutes to send before the staleness limit', () => {
    expect(problemsOf({ timing: { delay_seconds: 1500, stale_after_minutes: 30 } })).toEqual([]);
    expect(problemsOf({ timing: { delay_seconds: 1501, stale_after_minutes: 30 } })[0]).toMatch(
      /^timing\.delay_seconds: 1501 s leaves only 299 s to send before timing\.stale_after_minutes/,
    );
    expect(problemsOf({ timing: { delay_seconds: 600, stale_after_minutes: 4 } })[0]).toContain(
      'raise stale_after_minutes to at least 15 (or use no delay)',
    );
    // Without a delay any staleness limit works: the reply goes out at once.
    expect(problemsOf({ timing: { delay_seconds: 0, stale_after_minutes: 1 } })).toEqual([]);
  });

  it('business hours accept ranges over midnight and to 24:00, and refuse empty ones', () => {
    const weekly = {
      friday: ['22:00-02:00', '09:00-17:00'],
      saturday: ['00:00-24:00'],
      sunday: ['18:00-00:00'],
    };
    expect(problemsOf({ business_hours: { timezone: 'Europe/Paris', weekly } })).toEqual([]);
    expect(
      problemsOf({
        business_hours: { timezone: 'Europe/Paris', weekly: { monday: ['09:00-12:00', '10:00-10:00'] } },
      }),
    ).toEqual([
      'business_hours.weekly.monday.1: is empty: "10:00-10:00" opens and closes at the same time (a whole day is "00:00-24:00")',
    ]);
    expect(
      problemsOf({ business_hours: { timezone: 'Europe/Paris', weekly: { monday: ['24:00-02:00'] } } })[0],
    ).toMatch(/^business_hours\.weekly\.monday\.0: must be a range like "09:00-17:30"/);
  });

  it('the shipped default policy passes its own checks', () => {
    expect(() => policyWith()).not.toThrow();
  });
});
