import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Whether the kill switch (KILL_SWITCH_FILE) can be pulled, checked when the worker starts rather than found out
 * the day it is needed: the file's folder must exist (a path nobody can create means a switch that never works,
 * so the worker refuses to start), and an operator acting as the worker's user (`docker compose exec worker
 * touch …`) must be able to create the file there (a warning: another user may be the one who pulls it).
 */
export function killSwitchFileProblem(file: string): { refuse: string } | { warn: string } | null {
  const folder = dirname(file);
  let isFolder = false;
  try {
    isFolder = statSync(folder).isDirectory();
  } catch {
    // Missing, or not reachable: either way no `touch` can create the file.
  }
  if (!isFolder) {
    return {
      refuse:
        `KILL_SWITCH_FILE: its folder ${folder} does not exist, so the kill switch could never be pulled; ` +
        'create it (or mount the shared volume there) and start the worker again',
    };
  }
  try {
    accessSync(folder, constants.W_OK);
    return null;
  } catch {
    return {
      warn:
        `KILL_SWITCH_FILE: this worker's user may not create files in ${folder}: pulling the kill switch as this ` +
        'user (e.g. `docker compose exec worker touch …`) fails; give the folder to that user (docs/production.md, ' +
        '"Stopping every send at once")',
    };
  }
}
