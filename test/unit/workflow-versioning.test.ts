import { describe, expect, it } from '@jest/globals';
import * as workflows from '../../src/workflows';

/**
 * Every workflow type declares its versioning behaviour through `whenVersioned` (src/workflows/versioning.ts): a
 * behaviour declared as it is (`setWorkflowOptions({ versioningBehavior: ... })`) reaches the server from
 * unversioned workers too, which then refuses every workflow task of that type. worker-modes.test.ts runs each
 * mode end to end; this keeps a new workflow type from bringing the refusal back.
 */

describe('workflow types and Worker Versioning', () => {
  it.each(Object.entries(workflows))(
    '%s declares no versioning behaviour of its own, only whenVersioned’s',
    (_, workflow) => {
      const declared = (workflow as { workflowDefinitionOptions?: unknown }).workflowDefinitionOptions;
      // A getter (whenVersioned's) is evaluated per run, in the workflow; an object goes to every worker.
      expect(typeof declared === 'object' && declared !== null && 'versioningBehavior' in declared).toBe(
        false,
      );
      expect(typeof declared).toBe('function');
    },
  );
});
