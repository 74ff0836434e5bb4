import type { Response } from 'express';

/**
 * Sends every JSON answer of the sandbox, as the fault injection chose for the request: at once, late, or
 * not at all (the connection destroyed instead). The body is serialised at once, so a late answer shows the
 * state when the operation happened (e.g. a message's `sent_datetime` still null), not the state when the
 * answer finally leaves. It also holds the requests a late commit delays.
 */
export class Answers {
  private readonly delayed = new Set<NodeJS.Timeout>();
  private readonly held = new Map<NodeJS.Timeout, Response>();

  send(res: Response, status: number, body: unknown): void {
    if (answerDroppedFor(res)) {
      res.destroy();
      return;
    }
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
      this.delayed.delete(timer);
      write();
    }, delayMs);
    this.delayed.add(timer);
  }

  /** Performs the request `holdMs` from now, whether or not the client is still connected. */
  hold(res: Response, holdMs: number, perform: () => void): void {
    const timer = setTimeout(() => {
      this.held.delete(timer);
      perform();
    }, holdMs);
    this.held.set(timer, res);
  }

  /** Drops the requests still held, unperformed, closing their connections (on reset). */
  cancelHeld(): void {
    for (const [timer, res] of this.held) {
      clearTimeout(timer);
      res.destroy();
    }
    this.held.clear();
  }

  /** Drops held requests and answers still waiting (when the server closes: nobody will read them). */
  cancelPending(): void {
    this.cancelHeld();
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
  }
}

export function setAnswerDelay(res: Response, delayMs: number): void {
  res.locals.answerDelayMs = delayMs;
}

/** The request is still performed, but its connection is destroyed instead of answered. */
export function dropAnswer(res: Response): void {
  res.locals.answerDropped = true;
}

function answerDelayOf(res: Response): number {
  const value: unknown = res.locals.answerDelayMs;
  return typeof value === 'number' ? value : 0;
}

function answerDroppedFor(res: Response): boolean {
  return res.locals.answerDropped === true;
}
