// Runs a command (through the shell, with any extra arguments appended) and prints how long it took beside its
// target, whatever its outcome: `npm test`, the chaos and cluster suites print their own timings this way.
// Usage: node tools/timed.mjs [--beside <command>] <label> <target seconds> <command> [extra arguments...]
// --beside runs a second command at the same time, at a lower CPU priority (`npm test` lints while jest runs:
// the integration tests spend much of their time waiting on timers and Temporal). Its output is held back and
// printed when it ends, and the run fails if either command fails.
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';

const args = process.argv.slice(2);
const beside = args[0] === '--beside' ? args.splice(0, 2)[1] : null;
const [label, target, command, ...extra] = args;
const quote = (arg) => `'${arg.replace(/'/g, `'\\''`)}'`;
const started = Date.now();
const minutes = (seconds) => `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
const since = () => (Date.now() - started) / 1000;

/** The command beside the main one: its output kept for the end, its exit code awaited. */
function runBeside(line) {
  const child = spawn(line, { shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    setPriority(child.pid, 10);
  } catch {
    // Not permitted on this system: it runs at the same priority.
  }
  const output = [];
  child.stdout.on('data', (chunk) => output.push(chunk));
  child.stderr.on('data', (chunk) => output.push(chunk));
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      const status = code ?? (signal ? 1 : 0);
      if (status !== 0) process.stderr.write(Buffer.concat(output));
      process.stderr.write(
        `[timing] ${line}: ${status === 0 ? 'passed' : 'FAILED'} after ${minutes(since())}\n`,
      );
      resolve(status);
    }),
  );
}

const besideDone = beside ? runBeside(beside) : Promise.resolve(0);
const child = spawn([command, ...extra.map(quote)].join(' '), { shell: true, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
const mainDone = new Promise((resolve) =>
  child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))),
);

const [mainCode, besideCode] = await Promise.all([mainDone, besideDone]);
const code = mainCode || besideCode;
const within = since() <= Number(target) ? 'within' : 'OVER';
process.stderr.write(
  `[timing] ${label}: ${minutes(since())} (${within} its target of ${minutes(Number(target))}), exit ${code}\n`,
);
process.exit(code);
