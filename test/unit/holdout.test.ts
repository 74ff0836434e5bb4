import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { renderNote } from '../../src/reply/content';
import { newEmailTicket } from '../../src/tools/cli/policy-samples';
import { PolicyError } from '../../src/policy/load';
import { resolveStore } from '../../src/policy/stores';
import { canonicalJson, policyVersion } from '../../src/policy/version';
import { experimentArm, holdoutBucket, isHeldOut } from '../../src/reply/holdout';
import { policyWith } from '../../harness/policy';

const NOW = Date.parse('2026-11-26T10:00:00Z');
const ticket = newEmailTicket(new Date(NOW));

const share = (ids: number[], percent: number) =>
  ids.filter((id) => isHeldOut(id, percent)).length / ids.length;
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

describe('the holdout assignment', () => {
  it('holds out the configured share of consecutive ticket ids, wherever the ids start', () => {
    for (const start of [1, 1001, 4_200_000, 2 ** 31 - 10_000, 7_000_000_000]) {
      const ids = range(start, 20_000);
      for (const percent of [5, 10, 50]) {
        expect(Math.abs(share(ids, percent) - percent / 100)).toBeLessThan(0.012);
      }
    }
  });

  it('holds out the configured share of any set of ids, evens and odds alike', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), (start) => {
        const evens = range(0, 10_000).map((i) => start + 2 * i);
        const odds = evens.map((id) => id + 1);
        for (const ids of [evens, odds]) expect(Math.abs(share(ids, 20) - 0.2)).toBeLessThan(0.025);
      }),
      { numRuns: 20 },
    );
  });

  it('keeps a ticket held out when the percent grows, and is the same on every call', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 45 }),
        fc.double({ min: 0, max: 99, noNaN: true }),
        (id, p) => {
          expect(holdoutBucket(id)).toBe(holdoutBucket(id));
          expect(holdoutBucket(id)).toBeGreaterThanOrEqual(0);
          expect(holdoutBucket(id)).toBeLessThan(10_000);
          if (isHeldOut(id, p)) expect(isHeldOut(id, p + 1)).toBe(true);
        },
      ),
    );
    expect(range(1, 1000).some((id) => isHeldOut(id, 0))).toBe(false);
    expect(range(1, 1000).every((id) => isHeldOut(id, 100))).toBe(true);
  });

  it('puts a ticket the policy would acknowledge in an arm, and a dry run in neither', () => {
    const half = policyWith({ experiment: { holdout_percent: 50 } });
    const ids = range(ticket.ticketId, 200);
    const arms = ids.map((ticketId) => experimentArm({ ...ticket, ticketId }, half));
    expect(new Set(arms)).toEqual(new Set(['acknowledged', 'holdout']));
    expect(arms.map((arm) => arm === 'holdout')).toEqual(ids.map((id) => isHeldOut(id, 50)));
    expect(experimentArm(ticket, policyWith())).toBe('acknowledged');
    expect(experimentArm(ticket, policyWith({ experiment: { holdout_percent: 100 } }))).toBe('holdout');
    const dryRun = policyWith({ experiment: { holdout_percent: 100 }, dry_run: true });
    expect(experimentArm(ticket, dryRun)).toBeNull();
  });

  it('holds out nothing under a policy recorded (in a workflow history) before the experiment existed', () => {
    const recorded: Record<string, unknown> = { ...policyWith({ experiment: { holdout_percent: 100 } }) };
    delete recorded.experiment;
    expect(experimentArm(ticket, recorded as never)).toBe('acknowledged');
  });
});

describe('the experiment in the policy', () => {
  it('holds out nothing by default; a store section sets its own percent', () => {
    const policy = policyWith({
      experiment: { holdout_percent: 10 },
      stores: { 'bonjour@maison-lune.example': { name: 'Maison Lune', experiment: { holdout_percent: 25 } } },
    });
    expect(policyWith().experiment.holdout_percent).toBe(0);
    const arrival = (address: string) => ({ integrationId: null, supportAddress: { address } });
    expect(resolveStore(arrival('support@shop.example.com'), policy).policy.experiment.holdout_percent).toBe(
      10,
    );
    expect(
      resolveStore(arrival('bonjour@maison-lune.example'), policy).policy.experiment.holdout_percent,
    ).toBe(25);
  });

  it('refuses a percent outside 0 to 100, naming the key', () => {
    expect(() => policyWith({ experiment: { holdout_percent: 120 } })).toThrow(PolicyError);
    expect(() => policyWith({ experiment: { holdout_percent: -1 } })).toThrow(/experiment\.holdout_percent/);
    expect(() => policyWith({ stores: { '6602': { experiment: { holdout: 5 } } } })).toThrow(
      /stores\.6602\.experiment/,
    );
  });
});

describe('the policy version', () => {
  it('is the same for the same content, whatever the key order', () => {
    const policy = policyWith();
    const reordered = JSON.parse(
      JSON.stringify(Object.fromEntries(Object.entries(policy).reverse())),
    ) as typeof policy;
    expect(policyVersion(reordered)).toBe(policyVersion(policy));
    expect(policyVersion(policy)).toMatch(/^[0-9a-f]{12}$/);
  });

  it('changes with anything the decision or the reply depends on', () => {
    const base = policyVersion(policyWith());
    const changed = [
      policyWith({ experiment: { holdout_percent: 10 } }),
      policyWith({ timing: { delay_seconds: 60 } }),
      policyWith({ dry_run: true }),
      policyWith({ fallbacks: { customer_first_name: 'friend' } }),
    ].map(policyVersion);
    expect(new Set([base, ...changed]).size).toBe(changed.length + 1);
  });

  it('tells apart stores whose overrides differ, and not those whose resolved policy is the same', () => {
    const policy = policyWith({
      stores: {
        'a@shop.example': { name: 'A', dry_run: true },
        'b@shop.example': { name: 'B' },
      },
    });
    const at = (address: string) =>
      resolveStore({ integrationId: null, supportAddress: { address } }, policy).policy;
    expect(policyVersion(at('a@shop.example'))).not.toBe(policyVersion(at('b@shop.example')));
    expect(policyVersion(at('b@shop.example'))).toBe(policyVersion(at('other@shop.example')));
  });

  it('hashes with 64-bit FNV-1a over the canonical JSON (checked against a BigInt reference)', () => {
    const reference = (text: string) => {
      let hash = 0xcbf29ce484222325n;
      for (let i = 0; i < text.length; i += 1) {
        const code = text.charCodeAt(i);
        for (const byte of [code & 0xff, code >> 8]) {
          hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
        }
      }
      return hash.toString(16).padStart(16, '0').slice(0, 12);
    };
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(policyVersion(value as never)).toBe(reference(text));
      }),
    );
    expect(canonicalJson({ b: [1, { d: 'é', c: null }], a: true })).toBe(
      '{"a":true,"b":[1,{"c":null,"d":"é"}]}',
    );
  });

  it('is named in the note', () => {
    const note = renderNote(
      {
        kind: 'skipped',
        reason: 'order-delayed',
        store: { name: 'Maison Lune', matchedBy: 'email integration 6602', policyVersion: '3f9c2a1b7d04' },
      },
      'http://localhost:8233/x',
    );
    expect(note.bodyText).toContain(
      'Store: Maison Lune (by email integration 6602), policy version 3f9c2a1b7d04.',
    );
  });
});
