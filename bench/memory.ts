import type { ServiceProcess } from '../harness/service-processes';
import type { MemoryFigures } from '../src/telemetry/memory';
import { sleep } from './stack';

/**
 * The worker's own account of its memory (src/telemetry/memory.ts): on SIGUSR2 it logs the phases it marked
 * itself (started, workflow bundle loaded) and its figures now. The bench asks at its own phases (idle, under
 * load, after the load) and keeps what the worker logged.
 */

export interface MemoryPhase extends MemoryFigures {
  phase: string;
}

interface MemoryLine {
  msg?: string;
  memoryPhases?: { phase: string; memory: MemoryFigures }[];
  memoryNow?: MemoryFigures;
}

function memoryLines(output: string): MemoryLine[] {
  return output
    .split('\n')
    .filter((line) => line.includes('"memory usage"'))
    .map((line) => {
      try {
        return JSON.parse(line) as MemoryLine;
      } catch {
        return {};
      }
    })
    .filter((line) => line.memoryNow !== undefined);
}

export class MemoryProbe {
  readonly phases: MemoryPhase[] = [];
  private ownPhasesTaken = false;

  constructor(private readonly process: ServiceProcess | null) {}

  /** Asks the process for its figures now and records them as `phase` (and, the first time, its own phases). */
  async take(phase: string): Promise<void> {
    const proc = this.process;
    if (!proc) return;
    const before = memoryLines(proc.output()).length;
    try {
      proc.child.kill('SIGUSR2');
    } catch {
      return;
    }
    for (let waited = 0; waited < 3000; waited += 20) {
      const lines = memoryLines(proc.output());
      const line = lines[before];
      if (line?.memoryNow) {
        if (!this.ownPhasesTaken) {
          this.ownPhasesTaken = true;
          for (const own of line.memoryPhases ?? []) this.phases.push({ phase: own.phase, ...own.memory });
        }
        this.phases.push({ phase, ...line.memoryNow });
        return;
      }
      await sleep(20);
    }
  }
}
