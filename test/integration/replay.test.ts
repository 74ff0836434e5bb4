import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../support/temporal';

/**
 * Histories recorded from real runs (`temporal workflow show --output json`) replayed through today's
 * workflow code: a change that would break tickets already in flight fails here, not in production.
 * Record a new one whenever the workflow changes shape on purpose, and keep the old ones while such
 * workflows may still be running.
 */
const dir = join(__dirname, '..', 'fixtures', 'histories');
const histories = readdirSync(dir).filter((f) => f.endsWith('.json'));

describe('replaying recorded ticket workflows', () => {
  it('has recorded histories to replay', () => {
    expect(histories.length).toBeGreaterThanOrEqual(2);
  });

  it.each(histories)('%s replays deterministically on the current workflow code', async (file) => {
    const history = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    await expect(
      Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, file),
    ).resolves.toBeUndefined();
  });
});
