import { execFileSync } from 'node:child_process';
import { basename } from 'node:path';
import { expect } from '@jest/globals';
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { LogLevel, LogMetadata } from '@temporalio/common';
import { DefaultLogger, Runtime, type WorkerOptions } from '@temporalio/worker';
import { createNamespace, withConnection } from '../../harness/temporal-server';
import { waitUntil } from '../../harness/waiting';

/** The SDK's warnings and errors in this test file's process, as printed: what an operator's log would show. */
export const sdkWarnings: { level: LogLevel; message: string; meta?: LogMetadata }[] = [];

class RecordingLogger extends DefaultLogger {
  override log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (level === 'WARN' || level === 'ERROR') sdkWarnings.push({ level, message, meta });
    super.log(level, message, meta);
  }
}

// Worker state changes are noise in test output; warnings and errors still show.
Runtime.install({ logger: new RecordingLogger('WARN') });

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

/** Resets a workflow to the workflow task that followed reading the ticket: the new run sends again from there. */
export async function resetPastTheRead(
  env: TestWorkflowEnvironment,
  workflowId: string,
): Promise<WorkflowExecutionDescription> {
  const events = (await env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const readDone = events.findIndex((e) => e.activityTaskCompletedEventAttributes);
  const taskAfterRead = events.slice(readDone).find((e) => e.workflowTaskCompletedEventAttributes);
  return resetWithCli(
    env,
    workflowId,
    { eventId: Number(taskAfterRead?.eventId) },
    'test: reset past the read',
  );
}

/**
 * Resets a workflow with the CLI, as an operator does (to a `WorkflowTaskCompleted` event, or to the first
 * workflow task: the Web UI's Reset), and resolves once the new run has closed, with its description.
 */
export async function resetWithCli(
  env: TestWorkflowEnvironment,
  workflowId: string,
  to: { eventId: number } | 'FirstWorkflowTask',
  reason: string,
): Promise<WorkflowExecutionDescription> {
  const handle = env.client.workflow.getHandle(workflowId);
  const before = (await handle.describe()).runId;
  const point = to === 'FirstWorkflowTask' ? ['--type', to] : ['--event-id', String(to.eventId)];
  execFileSync(process.env.TEMPORAL_CLI_PATH ?? 'temporal', [
    'workflow',
    'reset',
    '--workflow-id',
    workflowId,
    ...point,
    '--reason',
    reason,
    '--address',
    env.address,
    '--namespace',
    env.namespace ?? 'default',
  ]);
  let run: WorkflowExecutionDescription | null = null;
  await waitUntil(async () => {
    run = await handle.describe();
    return run.runId !== before && run.status.name !== 'RUNNING';
  }, 60_000);
  return run as unknown as WorkflowExecutionDescription;
}
