import { describe, expect, it } from '@jest/globals';
import { channelLabel, dueResult } from '../../src/telemetry/coverage';
import {
  answeredChannels,
  classifyListed,
  coverageRows,
  newlyCounted,
  nextCheckpoint,
  planListing,
  summarizeRun,
  updateWebhookSilence,
  webhooksSilent,
  type ExaminedTicket,
  type ListedTicket,
} from '../../src/reply/catch-up';
import type { WebhookSilence } from '../../src/temporal/definitions';
import { policyWith } from '../../harness/policy';

const NOW = Date.parse('2026-11-26T10:00:00Z');
const at = (minutesAgo: number) => new Date(NOW - minutesAgo * 60_000).toISOString();
const input = { lookbackMinutes: 30 };

function examined(
  ticketId: number,
  minutesAgo: number,
  fields: Partial<ExaminedTicket> = {},
): ExaminedTicket {
  return {
    ticketId,
    createdAt: at(minutesAgo),
    channel: 'email',
    workflow: 'closed',
    startedBy: 'webhook',
    store: 'default',
    outcome: 'replied',
    reason: null,
    ...fields,
  };
}

const listed = (ticketId: number, minutesAgo: number, c: ListedTicket['class'] = 'due'): ListedTicket => ({
  ticketId,
  createdAt: at(minutesAgo),
  channel: 'email',
  class: c,
});

describe('where the catch-up lists from, and where the next run continues', () => {
  it('a first run looks back over the staleness window', () => {
    expect(planListing(undefined, input, NOW)).toEqual({
      since: at(30),
      staleBefore: at(30),
      waitingAfter: new Date(NOW - 60_000).toISOString(),
    });
  });

  it('after a gap longer than the window, a run lists from the checkpoint: what fell beyond it is looked at', () => {
    const plan = planListing({ checkpoint: at(180) }, input, NOW);
    expect(plan.since).toBe(at(180));
    expect(plan.staleBefore).toBe(at(30));
  });

  it('continues before the oldest ticket whose start failed, not at the newest ticket seen', () => {
    expect(nextCheckpoint(at(10), at(1), [at(8), at(5)])).toBe(at(8));
  });

  it('continues an overlap behind the newest ticket seen, so a ticket Gorgias lists late is still seen', () => {
    expect(nextCheckpoint(at(10), at(1), [])).toBe(at(3));
  });

  it('keeps its place when nothing was listed', () => {
    expect(nextCheckpoint(at(10), null, [])).toBe(at(10));
  });
});

describe('what the listing alone says', () => {
  const policy = policyWith({
    stores: { '6612': { channels: { chat: { template: 'acknowledgement' } } } },
  });
  const channels = answeredChannels(policy);
  const plan = planListing(undefined, input, NOW);
  const ticket: { spam: boolean; status: string; channel: string | null; createdAt: string | null } = {
    spam: false,
    status: 'open',
    channel: 'email',
    createdAt: at(5),
  };

  it('answers the channels of the top level and of every store section', () => {
    expect([...channels].sort()).toEqual(['chat', 'contact_form', 'email']);
  });

  it.each<[string, Partial<typeof ticket>, string]>([
    ['a new email ticket could be due', {}, 'due'],
    ['spam', { spam: true }, 'spam'],
    ['a closed ticket', { status: 'closed' }, 'closed'],
    ['a channel no section answers', { channel: 'phone' }, 'outside-channel'],
    ['no channel at all', { channel: null }, 'outside-channel'],
    ['older than the staleness window', { createdAt: at(31) }, 'stale'],
    ['younger than the grace its webhook gets', { createdAt: at(0.5) }, 'waiting'],
    ['no creation time: it could be due', { createdAt: null }, 'due'],
  ])('%s', (_name, change, expected) => {
    expect(classifyListed({ ...ticket, ...change }, channels, plan)).toBe(expected);
  });
});

describe('a run summed up', () => {
  const plan = planListing({ checkpoint: at(120) }, input, NOW);
  const listing = {
    truncated: false,
    tickets: [
      listed(1, 90, 'stale'),
      listed(2, 60, 'stale'),
      listed(3, 20, 'spam'),
      listed(4, 15, 'closed'),
      { ...listed(5, 12, 'outside-channel'), channel: 'chat' },
      listed(6, 10),
      listed(7, 8),
      listed(8, 6),
      listed(9, 0.5, 'waiting'),
    ],
  };
  const result = summarizeRun({
    previous: undefined,
    plan,
    listing,
    examined: [
      examined(1, 90, { workflow: 'none', startedBy: null, store: null, outcome: null }),
      examined(2, 60),
      examined(6, 10, { workflow: 'failed', outcome: 'failed', reason: 'gorgias-auth' }),
      examined(7, 8, { workflow: 'start-failed', startedBy: null, store: null, outcome: null }),
      examined(8, 6, { workflow: 'started', startedBy: 'catch-up', store: null, outcome: null }),
    ],
    now: NOW,
  });

  it('counts each class the listing left out, and what was beyond the window with no workflow', () => {
    expect(result.filtered).toEqual({ spam: 1, closed: 1, 'outside-channel': 1, stale: 1 });
    expect(result).toMatchObject({
      seen: 9,
      started: [8],
      notStarted: [7],
      handedBack: [6],
      known: 2,
      waiting: 1,
      listedSince: at(120),
      newest: at(0.5),
    });
  });

  it('continues from the failed start', () => {
    expect(result.checkpoint).toBe(at(8));
  });

  it('has a coverage section per store and channel', () => {
    expect(result.coverage).toEqual([
      {
        store: 'default',
        channel: 'email',
        listed: 2,
        acknowledged: 1,
        held: 0,
        skipped: 0,
        pending: 0,
        stale: 0,
        failed: 1,
        missed: 0,
      },
      {
        store: 'unknown',
        channel: 'email',
        listed: 3,
        acknowledged: 0,
        held: 0,
        skipped: 0,
        pending: 2,
        stale: 1,
        failed: 0,
        missed: 1,
      },
    ]);
  });
});

describe('coverage rows', () => {
  it('sorts outcomes into acknowledged, held, skipped, stale, failed and pending', () => {
    const rows = coverageRows([
      examined(1, 5),
      examined(2, 5, { outcome: 'unconfirmed' }),
      examined(3, 5, { outcome: 'dry-run' }),
      examined(4, 5, { outcome: 'skipped', reason: 'agent-replied-first' }),
      examined(5, 5, { outcome: 'skipped', reason: 'stale' }),
      examined(6, 5, { workflow: 'stopped', outcome: 'sending' }),
      examined(7, 5, { workflow: 'running', outcome: null, startedBy: 'catch-up' }),
      examined(8, 5, { channel: 'something-new' }),
    ]);
    expect(rows).toEqual([
      expect.objectContaining({ channel: 'email', listed: 7, acknowledged: 2, held: 1, skipped: 1 }),
      expect.objectContaining({ channel: 'other', listed: 1, acknowledged: 1 }),
    ]);
    expect(rows[0]).toMatchObject({ stale: 1, failed: 1, pending: 1, missed: 1 });
  });
});

describe('counting for the metrics', () => {
  it('counts a ticket listed again by an overlapping run once; every start each time', () => {
    const previous = { newest: at(5) };
    const counted = newlyCounted({
      previous,
      listing: { tickets: [listed(1, 6, 'spam'), listed(2, 4, 'spam'), listed(3, 3, 'closed')] },
      examined: [
        examined(4, 40, { workflow: 'none' }),
        examined(5, 6, { workflow: 'started', channel: 'whatever' }),
      ],
    });
    expect(counted).toEqual(
      expect.arrayContaining([
        { class: 'spam', channel: 'email', count: 1 },
        { class: 'closed', channel: 'email', count: 1 },
        { class: 'started', channel: 'other', count: 1 },
      ]),
    );
    expect(counted).toHaveLength(3);
  });
});

describe('webhook silence', () => {
  const byCatchUp = (id: number, minutesAgo: number, startedNow = true) =>
    examined(id, minutesAgo, { startedBy: 'catch-up', workflow: startedNow ? 'started' : 'running' });

  it('counts the tickets only the catch-up found since the newest one a webhook started', () => {
    const first = updateWebhookSilence(undefined, [examined(1, 30), byCatchUp(2, 25), byCatchUp(3, 20)]);
    expect(first).toEqual({ lastWebhookTicket: at(30), catchUpOnly: 2, catchUpOnlySince: at(25) });
    // The next run lists ticket 3 again (overlap): counted once; ticket 4 is new.
    const second = updateWebhookSilence(first, [byCatchUp(3, 20, false), byCatchUp(4, 12)]);
    expect(second).toEqual({ lastWebhookTicket: at(30), catchUpOnly: 3, catchUpOnlySince: at(25) });
    expect(webhooksSilent(second, NOW)).toBe(true);
  });

  it('starts over once a webhook starts a ticket again', () => {
    const silent: WebhookSilence = { lastWebhookTicket: at(30), catchUpOnly: 5, catchUpOnlySince: at(25) };
    const after = updateWebhookSilence(silent, [byCatchUp(6, 9, false), examined(7, 8), byCatchUp(8, 4)]);
    expect(after).toEqual({ lastWebhookTicket: at(8), catchUpOnly: 1, catchUpOnlySince: at(4) });
    expect(webhooksSilent(after, NOW)).toBe(false);
  });

  it('is not silence until enough tickets over enough time', () => {
    expect(webhooksSilent({ lastWebhookTicket: null, catchUpOnly: 2, catchUpOnlySince: at(60) }, NOW)).toBe(
      false,
    );
    expect(webhooksSilent({ lastWebhookTicket: null, catchUpOnly: 9, catchUpOnlySince: at(3) }, NOW)).toBe(
      false,
    );
    expect(webhooksSilent({ lastWebhookTicket: null, catchUpOnly: 3, catchUpOnlySince: at(10) }, NOW)).toBe(
      true,
    );
  });
});

describe('coverage labels', () => {
  it('a ticket is due when a reply was decided, or when it went stale', () => {
    expect(dueResult('replied', null)).toBe('acknowledged');
    expect(dueResult('unconfirmed', null)).toBe('acknowledged');
    expect(dueResult('dry-run', null)).toBe('held');
    expect(dueResult('failed', 'gorgias-auth')).toBe('failed');
    expect(dueResult('failed', 'stale')).toBe('stale');
    expect(dueResult('skipped', 'stale')).toBe('stale');
    expect(dueResult('skipped', 'spam')).toBeNull();
    expect(dueResult('skipped', 'gone')).toBeNull();
  });

  it('labels channels from a fixed set', () => {
    expect(channelLabel('email')).toBe('email');
    expect(channelLabel('x'.repeat(500))).toBe('other');
    expect(channelLabel(null)).toBe('unknown');
  });
});
