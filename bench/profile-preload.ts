import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

/**
 * `--profile <dir>`: loaded with `NODE_OPTIONS=--require` into the service's processes (Node refuses
 * `--cpu-prof` there). Profiles the whole process with the V8 inspector and writes a `.cpuprofile` (open it
 * in Chrome DevTools) to BENCH_PROFILE_DIR when the process exits.
 */
const dir = process.env.BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  // An in-thread inspector session answers synchronously, so this works inside the 'exit' handler.
  process.on('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      const name = `${process.argv[1]?.split('/').slice(-2).join('-') ?? 'node'}-${process.pid}.cpuprofile`;
      writeFileSync(join(dir, name), JSON.stringify(result.profile));
    });
  });
}
