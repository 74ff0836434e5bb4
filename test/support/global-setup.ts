import { ensureTemporalCli } from '../../src/temporal/cli';

/**
 * Tests run against a real Temporal dev server. Find the CLI once for the whole run (building it with Go the
 * first time, which takes minutes), so each test file can start its own server from it.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_TEMPORAL_ADDRESS) return;
  const cli = await ensureTemporalCli({
    explicitPath: process.env.TEMPORAL_CLI_PATH,
    searchPath: process.env.PATH,
    log: (line) => process.stderr.write(`[temporal-cli] ${line}\n`),
  });
  if (cli) {
    process.env.TEMPORAL_CLI_PATH = cli.path;
  } else {
    process.stderr.write('[temporal-cli] No Temporal CLI and no Go: the SDK will download the dev server.\n');
  }
}
