import { relative } from 'node:path';
import { BUILT_WORKFLOW_BUNDLE, writeWorkflowBundle } from '../../worker/workflow-bundle';

/** The last step of `npm run build`: the workflows compiled to dist/, bundled once for every worker. */
async function run(): Promise<void> {
  const started = Date.now();
  await writeWorkflowBundle(BUILT_WORKFLOW_BUNDLE);
  const where = relative(process.cwd(), BUILT_WORKFLOW_BUNDLE);
  process.stdout.write(`Workflow bundle: ${where} (${Date.now() - started} ms)\n`);
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
