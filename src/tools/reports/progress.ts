/**
 * A progress bar with a rate and an ETA, on one terminal line (redrawn in place on a TTY; a line every tenth
 * of the way otherwise, so a log stays short).
 */
export class ProgressBar {
  private done = 0;
  private lastTenth = -1;
  private readonly started: number;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly out: { write(text: string): unknown; isTTY?: boolean } | null,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  tick(by = 1): void {
    this.done += by;
    if (!this.out) return;
    if (this.out.isTTY) {
      this.out.write(`\r${this.line()}`);
    } else {
      const tenth = this.total === 0 ? 10 : Math.floor((this.done / this.total) * 10);
      if (tenth !== this.lastTenth) {
        this.lastTenth = tenth;
        this.out.write(`${this.line()}\n`);
      }
    }
  }

  finish(): void {
    if (this.out?.isTTY) this.out.write(`\r${this.line()}\n`);
  }

  line(): string {
    const width = 30;
    const fraction = this.total === 0 ? 1 : Math.min(1, this.done / this.total);
    const filled = Math.round(fraction * width);
    const seconds = (this.now() - this.started) / 1000;
    const rate = seconds > 0 ? this.done / seconds : 0;
    const left = this.total - this.done;
    const eta = rate > 0 ? formatEta(left / rate) : '–';
    return (
      `${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.done}/${this.total}` +
      ` · ${rate.toFixed(1)}/s · ETA ${left <= 0 ? 'done' : eta}`
    );
  }
}

function formatEta(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
