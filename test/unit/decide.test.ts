import { describe, expect, it } from '@jest/globals';
import { automatedMailSign } from '../../src/activities/ticket-facts';
import {
  decideAutoReply,
  isAutomatedAddress,
  isDryRun,
  type TicketFacts,
} from '../../src/workflows/decision';
import { newEmailTicket } from '../../src/cli/policy-samples';
import { policyWith } from '../support/stack';

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
    ['the ticket is spam', { spam: true }, 'spam'],
    ['the ticket is closed', { status: 'closed' }, 'closed'],
    ['the channel gets no auto-reply', { channel: 'chat' }, 'outside-channel'],
    ['an agent opened the ticket', { openedByAgent: true }, 'opened-by-agent'],
    ['an agent replied first', { agentReplied: true }, 'agent-replied-first'],
    ['a Gorgias rule replied first', { ruleReplied: true }, 'rule-replied-first'],
    ['the ticket carries the skip tag', { tags: ['vip', 'no-auto-reply'] }, 'skip-tag'],
    [
      'the customer has no email',
      { customer: { id: 7, email: null, firstName: null, name: null } },
      'no-customer-email',
    ],
    [
      'the customer is a mailer daemon',
      { customer: customer('mailer-daemon@mx.example.com') },
      'no-reply-sender',
    ],
    ['the message was auto-submitted', { automatedMail: 'auto-submitted' }, 'auto-submitted'],
    ['the message came from a mailing list', { automatedMail: 'mailing-list' }, 'mailing-list'],
    ['the message is a bounce', { automatedMail: 'bounce' }, 'bounce'],
    ['email is not answerable', { emailAnswerable: false }, 'not-answerable-by-email'],
    ['no support address is known', { lastCustomerMessage: null }, 'not-answerable-by-email'],
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
  });

  it('answers automatic senders when the loop guard is off', () => {
    const off = policyWith({ loop_guard: { enabled: false } });
    expect(decideAutoReply({ ...newTicket, customer: customer('noreply@x.com') }, off, NOW)).toEqual({
      reply: true,
    });
  });

  it('does not send an acknowledgement after the staleness cutoff', () => {
    const old = { ...newTicket, createdAt: '2026-11-26T09:29:59Z' };
    expect(decideAutoReply(old, policy, NOW)).toEqual({ reply: false, stale: true });
    const lenient = policyWith({ timing: { stale_after_minutes: 60 } });
    expect(decideAutoReply(old, lenient, NOW)).toEqual({ reply: true });
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
