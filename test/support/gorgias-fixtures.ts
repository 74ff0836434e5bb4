import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReplayFixtures } from '../../src/tools/sandbox/replay';

/** The real-shaped Gorgias payloads of test/fixtures/gorgias (its README says where each shape comes from). */

export const GORGIAS_FIXTURE_DIR = join(__dirname, '..', 'fixtures', 'gorgias');

export function loadGorgiasFixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(join(GORGIAS_FIXTURE_DIR, name), 'utf8')) as T;
}

/**
 * The sandbox's replay mode (`replay` option) for one ticket fixture: its email integration and the answer
 * Gorgias gives a created message come from the folder too.
 */
export function replayOf(ticketFile: string, options: Partial<ReplayFixtures> = {}): ReplayFixtures {
  return {
    ticket: loadGorgiasFixture(ticketFile),
    integration: loadGorgiasFixture('integration-email.json'),
    createdMessage: loadGorgiasFixture('message-created-answer.json'),
    ...options,
  };
}
