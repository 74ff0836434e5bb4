import { basename } from 'node:path';
import { expect } from '@jest/globals';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, type WorkerOptions } from '@temporalio/worker';
import { createNamespace, withConnection } from './temporal-server';

// Worker state changes are noise in test output; warnings and errors still show.
Runtime.install({ logger: new DefaultLogger('WARN') });

/** What the global setup leaves for the test files (environment variables reach every jest worker). */
function fromGlobalSetup(name: 'TEST_TEMPORAL_ADDRESS' | 'TEST_WORKFLOW_BUNDLE'): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is unset: run integration tests through jest (test/support/global-setup.ts)`);
  return value;
}

/** The run's dev server, started by the global setup (or an existing one named by TEST_TEMPORAL_ADDRESS). */
export function temporalAddress(): string {
  return fromGlobalSetup('TEST_TEMPORAL_ADDRESS');
}

/**
 * The run's Temporal dev server, seen through a namespace of this test file's own (named after the file), so
 * files never see each other's workflows; or through an existing namespace when one is named. Never
 * TEMPORAL_ADDRESS: tests cannot touch a production namespace.
 */
export async function createTemporalEnv(existingNamespace?: string): Promise<TestWorkflowEnvironment> {
  const address = temporalAddress();
  const file = basename(expect.getState().testPath ?? 'test', '.test.ts');
  const namespace =
    existingNamespace ?? (await withConnection(address, (connection) => createNamespace(connection, file)));
  return TestWorkflowEnvironment.createFromExistingServer({ address, namespace });
}

/** The workflow code, bundled once per run by the global setup. */
export function workflowBundle(): NonNullable<WorkerOptions['workflowBundle']> {
  return { codePath: fromGlobalSetup('TEST_WORKFLOW_BUNDLE') };
}
