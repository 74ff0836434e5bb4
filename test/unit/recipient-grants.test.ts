import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { evaluateTickets } from '../../src/tools/backtest/evaluate';
import { GorgiasClient } from '../../src/gorgias/client';
import type { Ticket } from '../../src/gorgias/schemas';
import { startSandbox, type RunningSandbox } from '../../src/tools/sandbox';
import { sampleTicket } from '../../src/tools/sandbox/sample-ticket';
import {
  claimGrant,
  liveGrants,
  mailDomain,
  nextExpiry,
  recipientClaims,
  type Grant,
} from '../../src/reply/recipient-grants';
import { policyWith } from '../../harness/policy';

const NOW = Date.parse('2026-11-26T10:00:00Z');
const MINUTE = 60_000;
const guard = policyWith().loop_guard;
const withGuard = (changes: Partial<typeof guard>) => ({ ...guard, ...changes });

describe('what an acknowledgement claims', () => {
  it('the customer (lower-cased) for the cooldown, then its domain for the per-domain limit', () => {
    expect(recipientClaims(' Dana.Lee@Shop-Customer.EXAMPLE ', guard)).toEqual([
      {
        recipient: { kind: 'address', name: 'dana.lee@shop-customer.example' },
        max: 1,
        withinMs: 5 * MINUTE,
        deniedAs: 'cooldown',
      },
      {
        recipient: { kind: 'domain', name: 'shop-customer.example' },
        max: 10,
        withinMs: 60 * MINUTE,
        deniedAs: 'recipient-domain-limit',
      },
    ]);
  });

  it("a reply to another of the customer's addresses claims their main one first: one customer, one voice", () => {
    const names = (claims: ReturnType<typeof recipientClaims>) => claims.map((c) => c.recipient.name);
    expect(names(recipientClaims('Lena@Berg-Studio.example', guard, 'lena.berg@gmail.com'))).toEqual([
      'lena.berg@gmail.com',
      'lena@berg-studio.example',
      'berg-studio.example',
    ]);
    expect(names(recipientClaims('lena.berg@gmail.com', guard, ' Lena.Berg@gmail.com'))).toEqual([
      'lena.berg@gmail.com',
    ]);
  });

  it('only the customer at a mail provider, or below one, where every address is another person', () => {
    for (const address of ['someone@gmail.com', 'someone@GMAIL.com', 'someone@mail.yahoo.com']) {
      expect(recipientClaims(address, guard).map((c) => c.recipient.kind)).toEqual(['address']);
    }
    // Not a provider because its name ends like one.
    expect(recipientClaims('a@notgmail.com', guard).map((c) => c.recipient.kind)).toEqual([
      'address',
      'domain',
    ]);
  });

  it('nothing the policy turned off', () => {
    const off = withGuard({ cooldown_minutes: 0, per_domain: { ...guard.per_domain, max: 0 } });
    expect(recipientClaims('dana@example.org', off)).toEqual([]);
    expect(recipientClaims('', guard)).toEqual([]);
    const domainOnly = recipientClaims('dana@example.org', withGuard({ cooldown_minutes: 0 }));
    expect(domainOnly.map((c) => c.deniedAs)).toEqual(['recipient-domain-limit']);
  });

  it('reads the domain after the last @, without a trailing dot', () => {
    expect(mailDomain('"odd@name"@Example.ORG.')).toBe('example.org');
    expect(mailDomain('no-domain@')).toBeNull();
    expect(mailDomain('nobody')).toBeNull();
  });
});

describe('the grant rule of a recipient', () => {
  const cooldown = { max: 1, withinMs: 5 * MINUTE };

  it('grants the first ticket and denies the next while the grant lives, naming the holder', () => {
    const first = claimGrant([], 101, cooldown, NOW);
    expect(first.answer).toEqual({
      granted: true,
      grant: { ticketId: 101, grantedAt: NOW, until: NOW + 5 * MINUTE },
    });
    const second = claimGrant(first.grants, 102, cooldown, NOW);
    expect(second.answer).toEqual({ granted: false, heldBy: [101], freeAt: NOW + 5 * MINUTE });
    expect(second.grants).toEqual(first.grants);
  });

  it('gives a ticket asking again its own grant back, unchanged (a retried claim, a reset run)', () => {
    const first = claimGrant([], 101, cooldown, NOW);
    const again = claimGrant(first.grants, 101, cooldown, NOW + MINUTE);
    expect(again.answer).toEqual(first.answer);
    expect(again.grants).toEqual(first.grants);
  });

  it('grants again once the window is over, and forgets what expired', () => {
    const first = claimGrant([], 101, cooldown, NOW);
    const later = claimGrant(first.grants, 102, cooldown, NOW + 5 * MINUTE);
    expect(later.answer).toMatchObject({ granted: true, grant: { ticketId: 102 } });
    expect(later.grants.map((g) => g.ticketId)).toEqual([102]);
  });

  it('counts up to max for a domain, in a sliding window', () => {
    const limit = { max: 3, withinMs: 60 * MINUTE };
    let grants: Grant[] = [];
    const answers = [1, 2, 3, 4].map((ticketId, i) => {
      const claimed = claimGrant(grants, ticketId, limit, NOW + i * MINUTE);
      grants = claimed.grants;
      return claimed.answer.granted;
    });
    expect(answers).toEqual([true, true, true, false]);
    expect(claimGrant(grants, 5, limit, NOW + 60 * MINUTE).answer).toMatchObject({ granted: true });
    expect(claimGrant(grants, 5, limit, NOW + 60 * MINUTE - 1).answer).toEqual({
      granted: false,
      heldBy: [1, 2, 3],
      freeAt: NOW + 60 * MINUTE,
    });
  });

  it('keeps no more grants than the limit, however many tickets ask', () => {
    let grants: Grant[] = [];
    for (let ticketId = 1; ticketId <= 500; ticketId++) {
      grants = claimGrant(grants, ticketId, { max: 10, withinMs: 60 * MINUTE }, NOW + ticketId).grants;
    }
    expect(grants).toHaveLength(10);
  });

  it('says when the next grant expires, and which still count', () => {
    const grants: Grant[] = [
      { ticketId: 1, grantedAt: NOW, until: NOW + 2 * MINUTE },
      { ticketId: 2, grantedAt: NOW, until: NOW + MINUTE },
    ];
    expect(nextExpiry(grants)).toBe(NOW + MINUTE);
    expect(nextExpiry([])).toBeNull();
    expect(liveGrants(grants, NOW + MINUTE)).toEqual([grants[0]]);
  });
});

describe('the backtest, which claims as the workflow does', () => {
  let sandbox: RunningSandbox;
  let gorgias: GorgiasClient;
  beforeAll(async () => {
    sandbox = await startSandbox({
      username: 'backtest@shop.example',
      apiKey: 'key',
      rateLimit: false,
      port: 0,
    });
    gorgias = new GorgiasClient({
      baseUrl: sandbox.url,
      username: 'backtest@shop.example',
      apiKey: 'key',
      timeoutMs: 5000,
    });
  });
  afterAll(() => sandbox?.close());

  const ticketsFrom = async (addresses: string[]): Promise<Ticket[]> => {
    const tickets: Ticket[] = [];
    for (const customerEmail of addresses) {
      const { id } = await gorgias.createTicket(sampleTicket({ customerEmail }));
      tickets.push(await gorgias.getTicket(id));
    }
    return tickets;
  };

  it("skips a customer's second ticket (cooldown) and an organisation's tickets past its limit", async () => {
    const policy = policyWith({ loop_guard: { per_domain: { max: 3, within_minutes: 60 } } });
    const tickets = await ticketsFrom([
      'one@acme.example',
      'ONE@acme.example',
      'two@acme.example',
      'three@acme.example',
      'four@acme.example',
      'a@gmail.com',
      'b@gmail.com',
      'c@gmail.com',
      'd@gmail.com',
    ]);
    const verdicts = evaluateTickets(tickets, policy);
    expect(verdicts.map((v) => v.reason ?? v.outcome)).toEqual([
      'replied',
      'cooldown',
      'replied',
      'replied',
      'recipient-domain-limit',
      'replied',
      'replied',
      'replied',
      'replied',
    ]);
  });

  it("claims the address that wrote, not only the customer's main one: its organisation's limit counts", async () => {
    const policy = policyWith({ loop_guard: { per_domain: { max: 1, within_minutes: 60 } } });
    // Two customers known by a mail-provider address, each writing from their work address at one company.
    sandbox.addCustomerAddress('ana@gmail.com', 'ana@works.example');
    sandbox.addCustomerAddress('bo@gmail.com', 'bo@works.example');
    const tickets = await ticketsFrom(['ana@works.example', 'bo@works.example']);
    expect(tickets.map((t) => t.customer?.email)).toEqual(['ana@gmail.com', 'bo@gmail.com']);
    const verdicts = evaluateTickets(tickets, policy);
    expect(verdicts.map((v) => v.reason ?? v.outcome)).toEqual(['replied', 'recipient-domain-limit']);
  });
});
