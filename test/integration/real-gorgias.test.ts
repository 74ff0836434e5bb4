import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stateQuery, workflowIdForTicket } from '../../src/workflows/definitions';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WorkflowFailedError } from '@temporalio/client';
import { parseGorgiasDatetime } from '../../src/gorgias/datetime';
import { ticketSchema } from '../../src/gorgias/schemas';
import { TestStack, useTestStack } from '../support/stack';
import { waitUntil } from '../support/waiting';

/** What real Gorgias does that our earlier sandbox did not: asynchronous sending, additive tags, trash, UTC. */
const ctx = useTestStack();

async function tagsOf(ticketId: number): Promise<string[]> {
  const ticket = await ctx.stack.gorgias.getTicket(ticketId);
  return ticket.tags.map((t) => t.name);
}

describe('sending is asynchronous at Gorgias', () => {
  it('a reply Gorgias accepts but fails to send ends failed/send-failed, tagged, with its error in the note', async () => {
    const customerEmail = 'mailbox.full@example.org';
    ctx.stack.sandbox.setSending({ failAddresses: [customerEmail] });
    try {
      const ticketId = await ctx.stack.seedTicket({ customerEmail });
      await ctx.stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' });
      // Meanwhile an agent (or a Rule) tags the ticket: our tag must not wipe theirs.
      await ctx.stack.gorgias.addTags(ticketId, ['vip']);

      const error = await ctx.stack.result(ticketId).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(WorkflowFailedError);
      expect((error as WorkflowFailedError).cause?.message).toMatch(/^send-failed: /);

      const { replies, notes } = ctx.stack.posted(ticketId);
      expect(replies).toHaveLength(1);
      expect(notes).toHaveLength(1);
      const failed = replies[0] as { failed_datetime: string | null; last_sending_error: { error?: string } };
      expect(failed.failed_datetime).not.toBeNull();
      expect(notes[0]?.body_text).toContain('Auto-reply NOT delivered (send-failed)');
      expect(notes[0]?.body_text).toContain(String(failed.last_sending_error.error));
      expect(notes[0]?.body_text).not.toContain('Auto-reply sent');
      expect(await tagsOf(ticketId)).toEqual(expect.arrayContaining(['vip', 'auto-reply-failed']));
      const described = await ctx.env.client.workflow.getHandle(workflowIdForTicket(ticketId)).describe();
      expect(described.searchAttributes.AutoReplyReason).toEqual(['send-failed']);
    } finally {
      ctx.stack.sandbox.setSending({ failAddresses: [] });
    }
  });

  it('the note says "sent" with the time Gorgias reported, read after the send', async () => {
    const ticketId = await ctx.stack.seedTicket();
    await ctx.stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' });
    const result = await ctx.stack.result(ticketId);
    if (result.outcome !== 'replied') throw new Error(`expected a reply, got ${JSON.stringify(result)}`);
    const [reply] = ctx.stack.posted(ticketId).replies as { sent_datetime: string }[];
    expect(reply?.sent_datetime).toBeTruthy();
    const sentAt = parseGorgiasDatetime(reply?.sent_datetime);
    expect(result.sentAt).toBe(new Date(sentAt ?? NaN).toISOString());
    const minute = new Date(sentAt ?? NaN).toISOString().slice(0, 16).replace('T', ' ');
    expect(ctx.stack.posted(ticketId).notes[0]?.body_text).toContain(`at ${minute} UTC`);
  });
});

describe('tickets that wait: a delay before the send, a slow confirmation, a kill switch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'autoreply-kill-'));
  const killSwitch = join(dir, 'stop-sending');
  let slow: TestStack;
  beforeAll(async () => {
    slow = await TestStack.start(ctx.env, {
      policy: { timing: { delay_seconds: 2, confirm_first_check_seconds: 120 } },
      killSwitchFile: killSwitch,
    });
  });
  afterAll(async () => {
    await slow?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function phaseOf(ticketId: number): Promise<string> {
    return (await slow.env.client.workflow.getHandle(workflowIdForTicket(ticketId)).query(stateQuery)).phase;
  }

  it('a ticket-message-failed delivery wakes the workflow: the failed send is handed back at once', async () => {
    const customerEmail = 'bounced.customer@example.org';
    slow.sandbox.setSending({ failAddresses: [customerEmail] });
    const ticketId = await slow.seedTicket({ customerEmail });
    await slow.deliver({ ticket_id: ticketId }, { event: 'ticket-created' });
    await waitUntil(async () => (await phaseOf(ticketId)) === 'confirming-delivery', 20_000);
    // Gorgias fails the send, then calls the integration's ticket-message-failed trigger.
    const failed = () => slow.posted(ticketId).replies[0] as { failed_datetime?: string | null } | undefined;
    await waitUntil(() => !!failed()?.failed_datetime, 10_000);
    const started = Date.now();
    const wake = await slow.deliver({ ticket_id: ticketId }, { event: 'ticket-message-failed' });
    expect(wake.status).toBe(202);
    const error = await slow.result(ticketId).catch((err: unknown) => err);
    expect((error as WorkflowFailedError).cause?.message).toMatch(/^send-failed: /);
    // Well before the first scheduled look (120 s).
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('the kill switch stops a send already waiting in its delay: a note, no reply', async () => {
    const ticketId = await slow.seedTicket();
    await slow.deliver({ ticket_id: ticketId }, { event: 'ticket-created' });
    await waitUntil(async () => (await phaseOf(ticketId)) === 'waiting', 20_000);
    writeFileSync(killSwitch, '');
    try {
      expect(await slow.result(ticketId)).toMatchObject({ outcome: 'dry-run' });
      expect(slow.posted(ticketId).replies).toEqual([]);
      expect(slow.posted(ticketId).notes[0]?.body_text).toContain('sending is switched off (kill switch)');
    } finally {
      rmSync(killSwitch, { force: true });
    }
  });
});

describe('trashed tickets', () => {
  it('a trashed ticket gets no reply', async () => {
    const ticketId = await ctx.stack.seedTicket();
    ctx.stack.sandbox.trashTicket(ticketId);
    await ctx.stack.deliver({ ticket_id: ticketId }, { event: 'ticket-updated' });
    expect(await ctx.stack.result(ticketId)).toMatchObject({ outcome: 'skipped', reason: 'trashed' });
    expect(ctx.stack.posted(ticketId).replies).toEqual([]);
  });
});

describe('a reset from the Web UI or the CLI', () => {
  it('a reset past the read looks for the reply and the note first: still one of each', async () => {
    const ticketId = await ctx.stack.seedTicket();
    await ctx.stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' });
    expect(await ctx.stack.result(ticketId)).toMatchObject({ outcome: 'replied' });

    // Reset to the workflow task that followed reading the ticket: the new run sends again from there.
    const handle = ctx.env.client.workflow.getHandle(workflowIdForTicket(ticketId));
    const firstRun = (await handle.describe()).runId;
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    const readDone = events.findIndex((e) => e.activityTaskCompletedEventAttributes);
    const taskAfterRead = events.slice(readDone).find((e) => e.workflowTaskCompletedEventAttributes);
    execFileSync(process.env.TEMPORAL_CLI_PATH ?? 'temporal', [
      'workflow',
      'reset',
      '--workflow-id',
      workflowIdForTicket(ticketId),
      '--event-id',
      String(taskAfterRead?.eventId),
      '--reason',
      'test: reset past the read',
      '--address',
      ctx.env.address,
      '--namespace',
      ctx.env.namespace ?? 'default',
    ]);
    await waitUntil(async () => {
      const run = await handle.describe();
      return run.runId !== firstRun && run.status.name === 'COMPLETED';
    }, 30_000);
    const resetRun = (await handle.describe()).runId;
    const result: unknown = await ctx.env.client.workflow.getHandle(handle.workflowId, resetRun).result();
    expect(result).toMatchObject({ outcome: 'replied' });
    expect(ctx.stack.posted(ticketId).replies).toHaveLength(1);
    expect(ctx.stack.posted(ticketId).notes).toHaveLength(1);
  });
});

describe('Gorgias datetimes', () => {
  it('an offset-less datetime is read as UTC, whatever the machine time zone', () => {
    // Jest gives each file its own copy of process.env, so the reader runs in a child process in New York.
    const script = `
      const ts = require('typescript');
      const source = require('fs').readFileSync('src/gorgias/datetime.ts', 'utf8');
      const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS } }).outputText;
      const m = { exports: {} };
      new Function('module', 'exports', js)(m, m.exports);
      const offset = new Date(2020, 0, 27, 10).getTimezoneOffset();
      const read = m.exports.parseGorgiasDatetime('2020-01-27T10:42:21.468912');
      const normalised = m.exports.normalizeGorgiasDatetime('2020-01-27T10:42:21.468912');
      const withOffset = m.exports.parseGorgiasDatetime('2020-01-27T10:42:21+02:00');
      process.stdout.write(JSON.stringify({ offset, read, normalised, withOffset }));`;
    const out = execFileSync(process.execPath, ['-e', script], {
      env: { ...process.env, TZ: 'America/New_York' },
      cwd: join(__dirname, '..', '..'),
    });
    expect(JSON.parse(out.toString())).toEqual({
      offset: 300, // the child really runs in New York
      read: Date.UTC(2020, 0, 27, 10, 42, 21, 468),
      normalised: '2020-01-27T10:42:21.468Z',
      withOffset: Date.UTC(2020, 0, 27, 8, 42, 21),
    });
    expect(
      ticketSchema.parse({ id: 1, created_datetime: '2020-01-27T10:42:21.468912' }).created_datetime,
    ).toBe('2020-01-27T10:42:21.468Z');
  });
});
