import { findPostgresBin } from '../../../src/tools/dev/cluster/postgres';
import { ensureTemporalServer } from '../../../src/tools/dev/cluster/temporal-server';
import { locateTemporalCli } from '../../../harness/temporal-server';

/**
 * Before any test of the cluster suite: the Temporal CLI (the namespace job runs it), the Temporal server at
 * the version docker-compose.yml pins (built with Go the first time: minutes, with progress), and PostgreSQL.
 */
export default async function globalSetup(): Promise<void> {
  await locateTemporalCli((line) => process.stderr.write(`[temporal-cli] ${line}\n`));
  const server = await ensureTemporalServer({
    log: (line) => process.stderr.write(`[temporal-server] ${line}\n`),
  });
  process.stderr.write(`[temporal-server] Using ${server.server} (${server.version}, ${server.source})\n`);
  process.stderr.write(`[postgres] Using PostgreSQL from ${findPostgresBin()}\n`);
}
