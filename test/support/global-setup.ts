import { describeCli, ensureTemporalCli } from '../../src/dev/temporal-cli';

/**
 * Tests run against a real Temporal dev server. Find the CLI once for the whole run (downloading it through
 * the Temporal SDK, or building it with Go the first time, which takes minutes), so each test file can start
 * its own server from it.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_TEMPORAL_ADDRESS) {
    process.stderr.write(`[temporal-cli] Tests use the server at ${process.env.TEST_TEMPORAL_ADDRESS}\n`);
    return;
  }
  const cli = await ensureTemporalCli({
    explicitPath: process.env.TEMPORAL_CLI_PATH,
    searchPath: process.env.PATH,
    log: (line) => process.stderr.write(`[temporal-cli] ${line}\n`),
  });
  process.stderr.write(`[temporal-cli] ${describeCli(cli)}\n`);
  process.env.TEMPORAL_CLI_PATH = cli.path;
}
