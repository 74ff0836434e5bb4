import { describe, expect, it } from '@jest/globals';
import { automatedMailSign, ticketFacts } from '../../src/reply/facts';
import {
  decideAutoReply,
  isAutomatedAddress,
  isDryRun,
  type Decision,
  type TicketFacts,
} from '../../src/reply/decision';
import { newEmailTicket } from '../../src/tools/cli/policy-samples';
import { agentReply } from '../../src/tools/sandbox/sample-ticket';
import { useSandboxAccount, type SandboxAccount } from '../support/sandbox-account';
import { policyWith } from '../../harness/policy';

const NOW = Date.parse('2026-11-26T10:00:00Z');
const policy = policyWith();

const newTicket = newEmailTicket(new Date(NOW));
const customer = (email: string) => ({ id: 7, email, firstName: null, name: null });

describe('the auto-reply decision', () => {
  it('replies to a new ticket from a customer', () => {
    expect(decideAutoReply(newTicket, policy, NOW)).toEqual({ reply: true });
  });

  it.each<[string, Partial<TicketFacts>, string]>([
    ['our auto-reply is already there', { autoReplyPresent: true }, 'already-auto-replied'],
    ['the ticket is in the trash', { trashed: true }, 'trashed'],
    ['the ticket is spam', { spam: true }, 'spam'],
    ['the ticket is closed', { status: 'closed' }, 'closed'],
    ['the channel gets no auto-reply', { channel: 'chat' }, 'outside-channel'],
    ['an agent opened the ticket', { openedByAgent: true }, 'opened-by-agent'],
    ['an agent replied first', { agentReplied: true }, 'agent-replied-first'],
    ['a Gorgias rule replied first', { ruleReplied: true }, 'rule-replied-first'],
    ['the ticket carries the skip tag', { tags: ['vip', 'no-auto-reply'] }, 'skip-tag'],
    ['the customer has no email address', { replyTo: null }, 'no-customer-email'],
    [
      'the customer is a mailer daemon',
      { customer: customer('mailer-daemon@mx.example.com') },
      'no-reply-sender',
    ],
    ['the message was auto-submitted', { automatedMail: 'auto-submitted' }, 'auto-submitted'],
    ['the message came from a mailing list', { automatedMail: 'mailing-list' }, 'mailing-list'],
    ['the message is a bounce', { automatedMail: 'bounce' }, 'bounce'],
    ['email is not answerable', { emailAnswerable: false }, 'not-answerable-by-email'],
    ['there is no address to reply from', { replyFrom: null }, 'no-reply-address'],
    [
      'their latest message came from an automatic address of theirs',
      { replyTo: { address: 'noreply@dana.example', name: null, lastMessage: true } },
      'no-reply-sender',
    ],
  ])('skips when %s', (_why, change, reason) => {
    expect(decideAutoReply({ ...newTicket, ...change }, policy, NOW)).toEqual({ reply: false, reason });
  });

  it('skips blocked addresses and domains, subdomains included', () => {
    const strict = policyWith({
      loop_guard: { blocked_addresses: ['alerts@partner.example'], blocked_domains: ['market.example'] },
    });
    for (const email of ['Alerts@Partner.example', 'x@market.example', 'y@eu.market.example']) {
      expect(decideAutoReply({ ...newTicket, customer: customer(email) }, strict, NOW)).toEqual({
        reply: false,
        reason: 'blocked-sender',
      });
    }
    expect(
      decideAutoReply({ ...newTicket, customer: customer('x@supermarket.example') }, strict, NOW),
    ).toEqual({ reply: true });
    // A blocked customer writing from another address of theirs is still blocked, and the other way round.
    const elsewhere = { address: 'dana@home.example', name: null, lastMessage: true };
    const blockedCustomer = { ...newTicket, customer: customer('x@market.example'), replyTo: elsewhere };
    expect(decideAutoReply(blockedCustomer, strict, NOW)).toEqual({ reply: false, reason: 'blocked-sender' });
    const blockedAddress = { ...elsewhere, address: 'alerts@partner.example' };
    expect(decideAutoReply({ ...newTicket, replyTo: blockedAddress }, strict, NOW)).toEqual({
      reply: false,
      reason: 'blocked-sender',
    });
  });

  it('answers automatic senders when the loop guard is off', () => {
    const off = policyWith({ loop_guard: { enabled: false } });
    expect(decideAutoReply({ ...newTicket, customer: customer('noreply@x.com') }, off, NOW)).toEqual({
      reply: true,
    });
  });

  it('does not send an acknowledgement after the staleness cutoff', () => {
    const old = { ...newTicket, createdAt: '2026-11-26T09:29:59Z' };
    expect(decideAutoReply(old, policy, NOW)).toEqual({ reply: false, reason: 'stale' });
    const lenient = policyWith({ timing: { stale_after_minutes: 60 } });
    expect(decideAutoReply(old, lenient, NOW)).toEqual({ reply: true });
  });

  it('calls an old ticket stale before any reason a skip note would explain: the backlog gets no note', () => {
    const old = { ...newTicket, createdAt: '2026-11-26T09:29:59Z' };
    for (const unanswerable of [
      { customer: customer('noreply@x.com') },
      { replyFrom: null },
      { emailAnswerable: false },
    ]) {
      expect(decideAutoReply({ ...old, ...unanswerable }, policy, NOW)).toEqual({
        reply: false,
        reason: 'stale',
      });
    }
  });

  it('runs dry per channel, else by the policy-wide flag', () => {
    const channels = {
      email: { template: 'acknowledgement', dry_run: false },
      contact_form: { template: 'acknowledgement', dry_run: true },
      help_center: { template: 'acknowledgement' },
    };
    const mixed = policyWith({ dry_run: true, channels });
    expect(isDryRun(newTicket, mixed)).toBe(false);
    expect(isDryRun({ ...newTicket, channel: 'contact_form' }, mixed)).toBe(true);
    expect(isDryRun({ ...newTicket, channel: 'help_center' }, mixed)).toBe(true);
    expect(isDryRun(newTicket, policy)).toBe(false);
  });

  it.each([
    'noreply@x.com',
    'no-reply@x.com',
    'No_Reply+shop@x.com',
    'donotreply@x.com',
    'do-not-reply@x.com',
    'MAILER-DAEMON@x.com',
    'postmaster@x.com',
    'bounces+123@x.com',
  ])('treats %s as an automatic sender', (address) =>
    expect(isAutomatedAddress(address, policy.loop_guard.automated_senders)).toBe(true),
  );

  it.each(['dana@example.org', 'noreen@x.com', 'replyguy@x.com', 'post@x.com'])(
    'treats %s as a person',
    (address) => expect(isAutomatedAddress(address, policy.loop_guard.automated_senders)).toBe(false),
  );
});

/**
 * The same decision on tickets as Gorgias (here the sandbox) serves them, read the way the workflow's fetchTicket
 * reads them: what each skip looks like in Gorgias, from the ticket to its reason. Temporal adds nothing to
 * these; one skip runs end to end in test/integration/autoreply.test.ts.
 */
describe('the decision on tickets as Gorgias serves them', () => {
  const account = useSandboxAccount();
  const outOfOffice = {
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
  };

  async function decisionFor(seed: (a: SandboxAccount) => Promise<number>): Promise<Decision> {
    const ticket = await account.gorgias.getTicket(await seed(account));
    return decideAutoReply(ticketFacts(ticket), policy, Date.now());
  }

  it.each<[string, (a: SandboxAccount) => Promise<number>, Decision]>([
    ['a new email from a customer is answered', (a) => a.seedTicket(), { reply: true }],
    [
      'a ticket opened by an agent',
      (a) =>
        a.seedTicket({}, { from_agent: true, messages: [agentReply('We noticed a delay on your order.')] }),
      { reply: false, reason: 'opened-by-agent' },
    ],
    ...['noreply@shop-notifications.com', 'MAILER-DAEMON@mx.example.com', 'do-not-reply@example.com'].map(
      (address): [string, (a: SandboxAccount) => Promise<number>, Decision] => [
        `a customer writing from ${address}`,
        (a) => a.seedTicket({ customerEmail: address }),
        { reply: false, reason: 'no-reply-sender' },
      ],
    ),
    [
      'a ticket an agent already answered',
      async (a) => {
        const id = await a.seedTicket();
        await a.gorgias.createMessage(id, agentReply('Hi Dana, it ships today.'));
        return id;
      },
      { reply: false, reason: 'agent-replied-first' },
    ],
    [
      'a ticket a Gorgias rule already answered',
      async (a) => {
        const id = await a.seedTicket();
        await a.gorgias.createMessage(
          id,
          agentReply('Thanks, we got your email (Gorgias autoresponder).', { via: 'rule' }),
        );
        return id;
      },
      { reply: false, reason: 'rule-replied-first' },
    ],
    [
      'a spam ticket, even when the webhook body does not say so',
      (a) => a.seedTicket({}, { spam: true }),
      { reply: false, reason: 'spam' },
    ],
    [
      'a ticket in the trash',
      async (a) => {
        const id = await a.seedTicket();
        a.sandbox.trashTicket(id);
        return id;
      },
      { reply: false, reason: 'trashed' },
    ],
    [
      'a ticket on a channel the policy does not answer (a phone call)',
      (a) => a.seedTicket({ channel: 'phone' }),
      { reply: false, reason: 'outside-channel' },
    ],
    [
      'a ticket with the skip tag',
      (a) => a.seedTicket({}, { tags: [{ name: 'no-auto-reply' }] }),
      { reply: false, reason: 'skip-tag' },
    ],
    [
      'an out-of-office answer (Auto-Submitted)',
      async (a) => {
        const id = await a.seedTicket({ body: 'I am out of office' });
        await a.gorgias.createMessage(id, outOfOffice);
        return id;
      },
      { reply: false, reason: 'auto-submitted' },
    ],
    [
      'a ticket created 45 minutes ago, past the staleness cutoff',
      (a) => a.seedTicket({}, { created_datetime: new Date(Date.now() - 45 * 60_000).toISOString() }),
      { reply: false, reason: 'stale' },
    ],
  ])('%s', async (_what, seed, decision) => {
    expect(await decisionFor(seed)).toEqual(decision);
  });
});

describe('reading automatic mail from headers', () => {
  it.each<[Record<string, string>, string | null]>([
    [{ 'Auto-Submitted': 'auto-replied' }, 'auto-submitted'],
    [{ 'auto-submitted': 'auto-generated' }, 'auto-submitted'],
    [{ 'Auto-Submitted': 'no' }, null],
    [{ 'X-Autoreply': 'yes' }, 'auto-submitted'],
    [{ 'X-Autorespond': 'Out of office' }, 'auto-submitted'],
    [{ Precedence: 'bulk' }, 'mailing-list'],
    [{ Precedence: 'junk' }, 'mailing-list'],
    [{ Precedence: 'first-class' }, null],
    [{ 'List-Unsubscribe': '<mailto:leave@list.example>' }, 'mailing-list'],
    [{ 'Content-Type': 'multipart/report; report-type=delivery-status; boundary=x' }, 'bounce'],
    [{ Subject: 'Hello' }, null],
  ])('%j means %s', (headers, sign) => {
    expect(automatedMailSign(headers)).toBe(sign);
  });
});
