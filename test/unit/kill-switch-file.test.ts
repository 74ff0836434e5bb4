import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killSwitchFileProblem } from '../../src/worker/kill-switch-file';

/** The worker's start-up check of KILL_SWITCH_FILE (src/worker/kill-switch-file.ts). */

const dir = mkdtempSync(join(tmpdir(), 'kill-switch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a kill switch that could never be pulled stops the worker at start', () => {
  it('refuses a file whose folder does not exist, naming the variable and the folder', () => {
    const problem = killSwitchFileProblem(join(dir, 'missing', 'stop-sending'));
    expect(problem).toEqual({
      refuse: expect.stringMatching(/^KILL_SWITCH_FILE: its folder .*missing does not exist/),
    });
  });

  it('refuses a file whose "folder" is a file', () => {
    writeFileSync(join(dir, 'plain-file'), '');
    expect(killSwitchFileProblem(join(dir, 'plain-file', 'stop-sending'))).toHaveProperty('refuse');
  });

  it('accepts a file in a folder this user may write in, whether the switch is pulled or not', () => {
    const file = join(dir, 'stop-sending');
    expect(killSwitchFileProblem(file)).toBeNull();
    writeFileSync(file, '');
    expect(killSwitchFileProblem(file)).toBeNull();
  });
});
