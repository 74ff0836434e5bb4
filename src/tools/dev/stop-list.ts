/**
 * What a local stack started, stopped in reverse order: on a failed start, and on Ctrl-C or SIGTERM
 * (`npm start`, `npm run cluster`).
 */
export class StopList {
  private readonly stops: (() => Promise<void>)[] = [];
  private stopping = false;

  constructor(private readonly onError: (err: unknown) => void) {}

  push(stop: () => Promise<void>): void {
    this.stops.push(stop);
  }

  /** Stops everything started so far, newest first; one failing stop does not keep the others running. */
  async stopAll(): Promise<void> {
    for (const stop of this.stops.splice(0).reverse()) await stop().catch(this.onError);
  }

  /** On the first SIGINT or SIGTERM: says what it stops, stops everything, and exits. */
  stopOnSignals(say: (line: string) => void, what: string): void {
    const shutdown = (signal: NodeJS.Signals) => {
      if (this.stopping) return;
      this.stopping = true;
      say(`\n${signal}: stopping ${what}...`);
      void this.stopAll().then(() => process.exit(0));
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  }
}
