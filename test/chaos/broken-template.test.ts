import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { workflowIdForTicket, type AutoReplyResult } from '../../src/temporal/definitions';
import { notesByKind, printFigures, repeatedNotes, tally } from '../support/figures';
import { useChaosRig } from './support/rig';

const rig = useChaosRig();

const dir = mkdtempSync(join(tmpdir(), 'gorgias-chaos-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The part of a policy file this scenario changes; the rest is kept as it is. */
interface PolicyData {
  templates: { acknowledgement: { languages: { fr: { body: string } } } };
  business_hours?: unknown;
}

/** The shipped policy (policy/default.yaml) as data, to change one thing in it. */
function defaultPolicy(): PolicyData {
  return parseYaml(readFileSync(join(__dirname, '..', '..', 'policy', 'default.yaml'), 'utf8')) as PolicyData;
}

/** Writes a policy file the worker reads through POLICY_FILE. */
function writePolicy(name: string, policy: unknown): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(policy, null, 2));
  return file;
}

const isoDate = (offsetDays: number) =>
  new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

describe('a template that does not render for one language', () => {
  it('the worker refuses to start, exits non-zero naming the template, and touches no ticket', async () => {
    const ticketIds = await rig.service.seedTickets(5, 1000, { language: 'fr' });
    await rig.service.startServer();
    // The tickets are accepted and wait in Temporal: no worker runs yet.
    const answers = await rig.service.deliverAll(ticketIds, 5);
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);
    const callsBefore = rig.sandbox.requests.length;

    const policy = defaultPolicy();
    // An unclosed Mustache section in the French body only.
    policy.templates.acknowledgement.languages.fr.body += '\n{{#order}}Votre commande {{ticket_id}}\n';
    const refused = await rig.service.runWorkerToExit({ POLICY_FILE: writePolicy('broken-fr', policy) });
    console.log(
      `[chaos] worker with a broken French template: exit ${refused.code} after ${refused.ms} ms:\n${refused.output}`,
    );

    expect(refused.code).not.toBe(0);
    expect(refused.code).not.toBeNull();
    expect(refused.output).toContain('acknowledgement/fr');
    expect(refused.output).toMatch(/Unclosed section "order"/);
    expect(refused.output).not.toContain('worker started');
    // Not one Gorgias call, and no workflow got as far as its first decision.
    expect(rig.sandbox.requests.length).toBe(callsBefore);
    for (const ticketId of ticketIds) {
      const handle = rig.temporal.client.workflow.getHandle(workflowIdForTicket(ticketId));
      expect((await handle.describe()).status.name).toBe('RUNNING');
      const events = (await handle.fetchHistory()).events ?? [];
      expect(events.filter((e) => e.workflowTaskCompletedEventAttributes)).toEqual([]);
    }

    // Fixed (here: the shipped policy), a worker starts and the waiting tickets are answered, each once.
    await rig.service.startWorker();
    const results = await rig.service.results(ticketIds, 120_000);
    const figures = tally(
      'broken French template',
      `worker refused to start (exit ${refused.code}, ${refused.ms} ms, template named) with ${ticketIds.length} ` +
        `French tickets waiting: 0 Gorgias calls; then a fixed worker answered them`,
      rig.sandbox,
      ticketIds,
      results,
    );
    printFigures(figures);
    expect(figures).toMatchObject({
      replies: ticketIds.length,
      notes: ticketIds.length,
      duplicates: 0,
      lost: 0,
    });
  });

  // Every template renders at start-up, yet a ticket can still fail in composing its reply: outside business
  // hours {{next_opening}} is formatted in the ticket's language, and a language tag Intl does not accept
  // (`en_US`, with an underscore, which the template choice itself accepts) throws there.
  it('outside business hours, a ticket whose language is "en_US" is answered like the others', async () => {
    const policy = defaultPolicy();
    // Closed now (yesterday, today and tomorrow are holidays): the outside-hours templates, with {{next_opening}}.
    policy.business_hours = {
      timezone: 'UTC',
      weekly: Object.fromEntries(
        ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [
          d,
          ['09:00-17:00'],
        ]),
      ),
      holidays: [isoDate(-1), isoDate(0), isoDate(1)],
    };
    const languages = ['fr', 'en-US', 'en_US'];
    const byLanguage = new Map<number, string>();
    for (const language of languages) {
      for (const id of await rig.service.seedTickets(3, 1000, { language })) byLanguage.set(id, language);
    }
    const ticketIds = [...byLanguage.keys()];
    await rig.service.stopAll();
    await rig.service.startServer();
    await rig.service.startWorker({ POLICY_FILE: writePolicy('outside-hours', policy) });
    const answers = await rig.service.deliverAll(ticketIds, 9);
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);
    const results = await rig.service.results(ticketIds, 120_000);

    const outcomes = await Promise.all(
      ticketIds.map(async (id) => {
        const result = results.get(id) as AutoReplyResult | Error;
        const failure = result instanceof Error ? (result as { cause?: Error }).cause : undefined;
        const ticket = await rig.service.ticket(id);
        return {
          language: byLanguage.get(id),
          outcome: result instanceof Error ? `failed: ${failure?.message ?? result.message}` : result.outcome,
          tagged: (ticket.tags ?? []).some((t) => t?.name === 'auto-reply-failed'),
          notes: notesByKind(rig.sandbox, id),
        };
      }),
    );
    const figures = tally(
      'outside hours, language en_US',
      `closed now (outside-hours templates with {{next_opening}}); 3 tickets each in ${languages.join(', ')}: ` +
        outcomes.map((o) => `${o.language} → ${o.outcome}`).join('; '),
      rig.sandbox,
      ticketIds,
      results,
    );
    printFigures(figures);

    // Nothing doubled, and a ticket that did fail shows it: tag and note.
    expect(repeatedNotes(rig.sandbox, ticketIds)).toEqual([]);
    expect(figures.duplicates).toBe(0);
    expect(
      outcomes.filter((o) => o.outcome.startsWith('failed') && !(o.tagged && o.notes.failed === 1)),
    ).toEqual([]);
    // The French and en-US tickets get the outside-hours reply; so should the en_US ones.
    expect(outcomes.map((o) => `${o.language}: ${o.outcome}`)).toEqual(
      ticketIds.map((id) => `${byLanguage.get(id)}: replied`),
    );
  });
});
