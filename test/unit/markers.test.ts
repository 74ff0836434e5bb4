import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  DEPLOYMENT_NAME,
  deploymentOf,
  isServiceReply,
  markersOf,
  parseMarker,
} from '../../src/reply/markers';
import { ticketFacts } from '../../src/reply/facts';
import { loadConfig } from '../../src/config';
import { ticketSchema } from '../../src/gorgias/schemas';
import { decideAutoReply } from '../../src/reply/decision';
import { REPO_ROOT } from '../../harness/repo';
import { policyWith } from '../../harness/policy';

/**
 * Markers name the deployment that wrote them (issue 24, item 4): a staging or a shadow dry run on the same
 * Gorgias account that notes or answers a ticket first is another deployment, never us.
 */

const production = markersOf('production');
const staging = markersOf('staging');
const RUN = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';

describe('markers', () => {
  it('name the deployment, and read back as written', () => {
    expect(production.reply(42)).toBe('gorgias-autoreply:production:reply:42');
    expect(production.note(42, 'replied', RUN)).toBe(`gorgias-autoreply:production:note:42:replied:${RUN}`);
    expect(parseMarker(production.reply(42))).toEqual({
      deployment: 'production',
      ticketId: 42,
      kind: 'reply',
    });
    expect(parseMarker(staging.note(42, 'dry-run', RUN))).toEqual({
      deployment: 'staging',
      ticketId: 42,
      kind: 'note',
      noteKind: 'dry-run',
      runId: RUN,
    });
  });

  it('read the markers of versions before deployments as markers without one', () => {
    expect(parseMarker('gorgias-autoreply:reply:42')).toEqual({
      deployment: null,
      ticketId: 42,
      kind: 'reply',
    });
    expect(parseMarker(`gorgias-autoreply:note:42:failed:${RUN}`)).toEqual({
      deployment: null,
      ticketId: 42,
      kind: 'note',
      noteKind: 'failed',
      runId: RUN,
    });
    // Deployments named like the parts of a marker are still told apart from legacy markers.
    expect(parseMarker(markersOf('reply').reply(42))).toMatchObject({ deployment: 'reply', kind: 'reply' });
    expect(parseMarker(markersOf('note').note(42, 'skipped', RUN))).toMatchObject({
      deployment: 'note',
      kind: 'note',
      noteKind: 'skipped',
    });
  });

  it.each([
    null,
    '',
    'order-1042',
    'gorgias-autoreply:',
    'gorgias-autoreply:reply:x',
    'gorgias-autoreply:production:reply:42:extra:x',
    'other-app:production:reply:42',
  ])('are not read into %p', (externalId) => {
    expect(parseMarker(externalId)).toBeNull();
  });

  it('stay within the 255 characters Gorgias keeps of an external_id', () => {
    const longest = markersOf('d'.repeat(64));
    expect(longest.note(Number.MAX_SAFE_INTEGER, 'recipient-domain-limit', RUN).length).toBeLessThanOrEqual(
      255,
    );
  });

  it("count as the service's reply whichever deployment wrote them (the scorecard, the backtest)", () => {
    for (const externalId of [production.reply(42), staging.reply(42), 'gorgias-autoreply:reply:42']) {
      expect(isServiceReply({ external_id: externalId }, 42)).toBe(true);
    }
    expect(isServiceReply({ external_id: production.reply(43) }, 42)).toBe(false);
    expect(isServiceReply({ external_id: production.note(42, 'replied', RUN) }, 42)).toBe(false);
  });
});

describe('the deployment', () => {
  const temporal = (namespace: string, taskQueue: string, deployment?: string) => ({
    TEMPORAL_NAMESPACE: namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    AUTOREPLY_DEPLOYMENT: deployment,
  });

  it('is the namespace and task queue unless named, so staging and production differ without a setting', () => {
    expect(deploymentOf(temporal('default', 'gorgias-autoreply'))).toBe('default.gorgias-autoreply');
    expect(deploymentOf(temporal('staging', 'gorgias-autoreply'))).not.toBe(
      deploymentOf(temporal('production', 'gorgias-autoreply')),
    );
    expect(deploymentOf(temporal('default', 'autoreply-staging'))).not.toBe(
      deploymentOf(temporal('default', 'gorgias-autoreply')),
    );
    expect(deploymentOf(temporal('default', 'gorgias-autoreply', 'production'))).toBe('production');
  });

  it('is a name markers can carry, whatever the namespace and task queue are called', () => {
    const names = [
      temporal('Prod.a1b2c', 'Gorgias Auto/Reply'),
      temporal('prod.a1b2c', 'gorgias auto reply'),
      temporal('n'.repeat(200), 'q'.repeat(200)),
      temporal('n'.repeat(200), `${'q'.repeat(199)}r`),
      temporal('__', ':'),
    ].map((t) => deploymentOf(t));
    for (const name of names) expect(name).toMatch(DEPLOYMENT_NAME);
    // Names that read alike once cut or cleaned stay apart.
    expect(new Set(names).size).toBe(names.length);
  });

  it('is checked at start when named (AUTOREPLY_DEPLOYMENT)', () => {
    const load = (value: string) => () => loadConfig({ AUTOREPLY_DEPLOYMENT: value }, ['temporal']);
    expect(load('staging-eu')().temporal.AUTOREPLY_DEPLOYMENT).toBe('staging-eu');
    expect(load('  ')().temporal.AUTOREPLY_DEPLOYMENT).toBeUndefined();
    for (const bad of ['Staging', 'prod:eu', '-prod', 'p'.repeat(65)]) {
      expect(load(bad)).toThrow(/AUTOREPLY_DEPLOYMENT: must be 1 to 64 characters/);
    }
  });
});

describe('the facts, as one deployment reads the markers on a ticket', () => {
  const raw = JSON.parse(
    readFileSync(join(REPO_ROOT, 'test/fixtures/gorgias/ticket-long-thread.json'), 'utf8'),
  ) as { id: number; created_datetime: string; messages: Record<string, unknown>[] };
  const [question, ourReply, ourNote] = raw.messages as [
    Record<string, unknown>,
    Record<string, unknown>,
    Record<string, unknown>,
  ];
  const policy = policyWith();
  const now = Date.parse(raw.created_datetime) + 60_000;
  /** The customer's question, with our reply and note of the fixture marked as given (null: left out). */
  const ticketWith = (marked: { reply?: string; note?: string; failed?: boolean }) =>
    ticketSchema.parse({
      ...raw,
      messages: [
        question,
        ...(marked.reply
          ? [
              {
                ...ourReply,
                external_id: marked.reply,
                failed_datetime: marked.failed ? '2025-02-27T11:05:00.000000' : null,
              },
            ]
          : []),
        ...(marked.note ? [{ ...ourNote, external_id: marked.note }] : []),
      ],
    });
  const factsAs = (deployment: string | undefined, marked: Parameters<typeof ticketWith>[0]) =>
    ticketFacts(ticketWith(marked), undefined, { keepStatusLink: false, deployment });

  it('replies to the question alone', () => {
    expect(decideAutoReply(factsAs('production', {}), policy, now)).toEqual({ reply: true });
  });

  it("does not take another deployment's note for ours (no handled-before)", () => {
    const facts = factsAs('production', { note: staging.note(raw.id, 'dry-run', RUN) });
    expect(facts.notedBefore).toBe(false);
    expect(decideAutoReply(facts, policy, now)).toEqual({ reply: true });
    expect(factsAs('production', { note: production.note(raw.id, 'skipped', RUN) }).notedBefore).toBe(true);
  });

  it("takes another deployment's reply as an answer the customer already has, not as ours", () => {
    const facts = factsAs('production', { reply: staging.reply(raw.id) });
    expect(facts).toMatchObject({
      autoReplyPresent: false,
      otherDeploymentReplied: true,
      agentReplied: false,
    });
    expect(decideAutoReply(facts, policy, now)).toEqual({ reply: false, reason: 'other-deployment-replied' });
    // Gorgias failed to send it: the customer has nothing, so it does not count.
    const failed = factsAs('production', { reply: staging.reply(raw.id), failed: true });
    expect(failed.otherDeploymentReplied).toBe(false);
    expect(decideAutoReply(failed, policy, now)).toEqual({ reply: true });
  });

  it('finds its own reply as before', () => {
    const facts = factsAs('production', { reply: production.reply(raw.id) });
    expect(facts).toMatchObject({
      autoReplyPresent: true,
      otherDeploymentReplied: false,
      agentReplied: false,
    });
    expect(decideAutoReply(facts, policy, now)).toEqual({ reply: false, reason: 'already-auto-replied' });
  });

  it('reads markers without a deployment (written before deployments) as its own', () => {
    const legacy = factsAs('production', {
      reply: `gorgias-autoreply:reply:${raw.id}`,
      note: `gorgias-autoreply:note:${raw.id}:replied:${RUN}`,
    });
    expect(legacy).toMatchObject({
      autoReplyPresent: true,
      otherDeploymentReplied: false,
      notedBefore: true,
    });
  });

  it('counts a reply marked for another ticket (merged in) as an agent reply, as before', () => {
    const merged = factsAs('production', { reply: production.reply(raw.id + 1) });
    expect(merged).toMatchObject({
      autoReplyPresent: false,
      otherDeploymentReplied: false,
      agentReplied: true,
    });
  });

  it('reads every deployment as another when it is no deployment (a tool), legacy markers as its own', () => {
    expect(factsAs(undefined, { reply: production.reply(raw.id) })).toMatchObject({
      autoReplyPresent: false,
      otherDeploymentReplied: true,
    });
    expect(factsAs(undefined, { reply: `gorgias-autoreply:reply:${raw.id}` }).autoReplyPresent).toBe(true);
  });
});
