import type { Response } from 'express';

/**
 * Sends every JSON answer of the sandbox, honouring the delay the fault injection chose for the request.
 * The body is serialised at once, so a late answer shows the state when the operation happened (e.g. a
 * message's `sent_datetime` still null), not the state when the answer finally leaves.
 */
export class Answers {
  private readonly pending = new Set<NodeJS.Timeout>();

  send(res: Response, status: number, body: unknown): void {
    const payload = JSON.stringify(body);
    const write = () => {
      if (!res.headersSent && !res.socket?.destroyed)
        res.status(status).type('application/json').send(payload);
    };
    const delayMs = answerDelayOf(res);
    if (delayMs <= 0) {
      write();
      return;
    }
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      write();
    }, delayMs);
    this.pending.add(timer);
  }

  /** Drops answers still waiting (when the server closes: nobody will read them). */
  cancelPending(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}

export function setAnswerDelay(res: Response, delayMs: number): void {
  res.locals.answerDelayMs = delayMs;
}

function answerDelayOf(res: Response): number {
  const value: unknown = res.locals.answerDelayMs;
  return typeof value === 'number' ? value : 0;
}
