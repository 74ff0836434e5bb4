// Runs a command (through the shell, with any extra arguments appended) and prints how long it took beside its
// target, whatever its outcome: `npm test`, the chaos and cluster suites print their own timings this way.
// Usage: node tools/timed.mjs <label> <target seconds> <command> [extra arguments...]
import { spawn } from 'node:child_process';

const [label, target, command, ...extra] = process.argv.slice(2);
const quote = (arg) => `'${arg.replace(/'/g, `'\\''`)}'`;
const started = Date.now();
const child = spawn([command, ...extra.map(quote)].join(' '), { shell: true, stdio: 'inherit' });
const minutes = (seconds) => `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
const report = (code) => {
  const seconds = (Date.now() - started) / 1000;
  const within = seconds <= Number(target) ? 'within' : 'OVER';
  process.stderr.write(
    `[timing] ${label}: ${minutes(seconds)} (${within} its target of ${minutes(Number(target))}), exit ${code}\n`,
  );
  process.exit(code);
};
child.on('exit', (code, signal) => report(code ?? (signal ? 1 : 0)));
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
