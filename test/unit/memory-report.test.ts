import { Writable } from 'node:stream';
import { describe, expect, test } from '@jest/globals';
import pino from 'pino';
import { MemoryPhases } from '../../src/telemetry/memory';

describe('the worker’s memory report', () => {
  test('the report has the marked phases and the figures now, even when the log level is warn', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = pino({ level: 'warn' }, sink);
    const memory = new MemoryPhases();
    memory.mark('started');
    memory.mark('worker created (workflow bundle loaded)');
    // What reportOnSignal runs on SIGUSR2 (a real signal would reach Jest's process, not this sandbox).
    memory.reporter(logger)();
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] as string) as {
      msg: string;
      memoryPhases: { phase: string; memory: { rssMb: number } }[];
      memoryNow: { rssMb: number; heapUsedMb: number };
    };
    expect(line.msg).toBe('memory usage');
    expect(line.memoryPhases.map((p) => p.phase)).toEqual([
      'started',
      'worker created (workflow bundle loaded)',
    ]);
    expect(line.memoryNow.rssMb).toBeGreaterThan(line.memoryNow.heapUsedMb);
  });
});
