import type { Logger } from '../logging';

/** `process.memoryUsage()` in MB (one decimal). `heap*` and `external` are the main thread's only. */
export interface MemoryFigures {
  rssMb: number;
  heapTotalMb: number;
  heapUsedMb: number;
  externalMb: number;
  arrayBuffersMb: number;
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

export function memoryFigures(): MemoryFigures {
  const m = process.memoryUsage();
  return {
    rssMb: mb(m.rss),
    heapTotalMb: mb(m.heapTotal),
    heapUsedMb: mb(m.heapUsed),
    externalMb: mb(m.external),
    arrayBuffersMb: mb(m.arrayBuffers),
  };
}

/**
 * Where a process's memory goes, phase by phase: the process records its own phases (`mark`), and on SIGUSR2
 * it logs them with the current figures as one `memory usage` line, whatever LOG_LEVEL says (an operator or
 * the benchmark asked for it). SIGUSR2 is otherwise unused by Node (SIGUSR1 starts the inspector).
 */
export class MemoryPhases {
  private readonly phases: { phase: string; memory: MemoryFigures }[] = [];

  mark(phase: string): void {
    this.phases.push({ phase, memory: memoryFigures() });
  }

  /** On every SIGUSR2: one `memory usage` line with the phases marked so far and the figures at that moment. */
  reportOnSignal(logger: Logger): void {
    process.on('SIGUSR2', this.reporter(logger));
  }

  /** Writes that line when called, at info level whatever the logger's own level. */
  reporter(logger: Logger): () => void {
    const reporter = logger.child({}, { level: 'info' });
    return () => reporter.info({ memoryPhases: this.phases, memoryNow: memoryFigures() }, 'memory usage');
  }
}
