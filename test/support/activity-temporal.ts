import type { Client } from '@temporalio/client';
import type { ActivityDependencies } from '../../src/activities/dependencies';

/** Temporal as an activity run by MockActivityEnvironment sees it: a post's attempt is still the current one. */
export const unitTestTemporal: ActivityDependencies['temporal'] = {
  client: {
    workflowService: { recordActivityTaskHeartbeat: async () => ({}) },
    options: { identity: 'unit-test' },
  } as unknown as Client,
  taskQueue: 'unit-test',
  uiUrl: 'http://localhost:8233',
};
