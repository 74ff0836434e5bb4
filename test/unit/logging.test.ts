import { execFileSync, spawn } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { REPO_ROOT, sourceModuleInChild } from '../../harness/repo';

/**
 * The service's logger writes to stdout asynchronously and in batches (src/logging.ts). These run it in a
 * child process, the way the services run, because what matters happens at stdout's file descriptor: whether
 * every line gets out by exit, and what happens when nothing reads it.
 */
/** A child script's preamble: `logger` is src/logging.ts's createLogger at `info`, as the services make it. */
const WITH_LOGGER = `
  ${sourceModuleInChild('src/logging.ts', 'logging')}
  const logger = logging.createLogger({ LOG_LEVEL: 'info', LOG_PRETTY: false }, 'webhook');`;

const runToEnd = (script: string) =>
  execFileSync(process.execPath, ['-e', WITH_LOGGER + script], {
    cwd: REPO_ROOT,
    maxBuffer: 64 * 1024 * 1024,
  })
    .toString()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('the service logger', () => {
  it('gets every line out, in order, when the process exits right after logging', () => {
    // process.exit() skips whatever the event loop still had to do: the batch not yet written is flushed anyway.
    const lines = runToEnd(`
      for (let i = 0; i < 5000; i++) logger.info({ outcome: 'accepted', ticketId: i }, 'webhook accepted');
      process.exit(0);`);
    expect(lines).toHaveLength(5000);
    expect(lines.map((line) => line.ticketId)).toEqual([...Array(5000).keys()]);
    expect(lines[0]).toMatchObject({ name: 'webhook', msg: 'webhook accepted', outcome: 'accepted' });
  });

  it('never writes a secret, wherever the usual field names put it', () => {
    const [line] = runToEnd(`
      logger.warn({ authorization: 'Bearer s3cret-token', secret: 's3cret-token', apiKey: 's3cret-token',
        headers: { authorization: 'Bearer s3cret-token' } }, 'rejected');`);
    expect(JSON.stringify(line)).not.toContain('s3cret-token');
    expect(line).toMatchObject({ authorization: '[redacted]', secret: '[redacted]', apiKey: '[redacted]' });
  });

  it('keeps serving when nothing reads stdout: lines beyond the buffer are dropped, not held', async () => {
    // 20,000 lines of ~5 kB (~100 MB) into a pipe nobody reads, whose kernel buffer fills after ~64 KB. The child
    // counts the lines its stdout stream drops and reports once its event loop turns again: no timer, no clock.
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        '-e',
        WITH_LOGGER +
          `
          const held = () => { gc(); const u = process.memoryUsage(); return (u.heapUsed + u.external) / 1048576; };
          let dropped = 0;
          logger[require('pino').symbols.streamSym].on('drop', () => (dropped += 1));
          const before = held();
          const padding = 'x'.repeat(5000);
          for (let i = 0; i < 20000; i++) logger.info({ outcome: 'accepted', ticketId: i, padding }, 'webhook accepted');
          setImmediate(() => process.stderr.write(JSON.stringify({ heldMb: held() - before, dropped }) + '\\n'));`,
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      const report = await new Promise<{ heldMb: number; dropped: number }>((resolve, reject) => {
        let err = '';
        child.stderr.on('data', (chunk: Buffer) => {
          err += chunk.toString();
          const line = err.split('\n').find((l) => l.startsWith('{'));
          if (line) resolve(JSON.parse(line) as { heldMb: number; dropped: number });
        });
        void exited.then((code) =>
          reject(new Error(`the child exited (${String(code)}) before reporting: ${err}`)),
        );
      });
      // Its event loop still turns (setImmediate ran); the lines beyond the 16 M-character buffer were dropped
      // (at most ~3,300 of these fit), and at most that buffer waits in memory (~100 MB would, without the limit).
      expect(report.dropped).toBeGreaterThan(15_000);
      expect(report.heldMb).toBeLessThan(40);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  }, 60_000);
});
