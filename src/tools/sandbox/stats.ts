/** Counters over `/api` requests, for assertions and benchmark reports. */
export interface SandboxStats {
  requests: number;
  byStatus: Record<string, number>;
  rateLimited: number;
  /** Requests answered with an injected error status. */
  faultsInjected: number;
  /** Requests performed and then answered late (slow answers). */
  lateResponses: number;
  /** Requests held unanswered and performed later (late commits). */
  lateCommits: number;
  /** Requests performed and then left without an answer, the connection destroyed. */
  resetsAfterCommit: number;
  messagesCreated: number;
  ticketsCreated: number;
  /** `GET /api/customers/{id}` requests (the service reads a customer for orders its ticket did not carry). */
  customerReads: number;
}

const empty = (): SandboxStats => ({
  requests: 0,
  byStatus: {},
  rateLimited: 0,
  faultsInjected: 0,
  lateResponses: 0,
  lateCommits: 0,
  resetsAfterCommit: 0,
  messagesCreated: 0,
  ticketsCreated: 0,
  customerReads: 0,
});

export class StatsRecorder {
  private stats = empty();

  count(counter: Exclude<keyof SandboxStats, 'byStatus'>, by = 1): void {
    this.stats[counter] += by;
  }

  countStatus(status: number): void {
    const key = String(status);
    this.stats.byStatus[key] = (this.stats.byStatus[key] ?? 0) + 1;
  }

  snapshot(): SandboxStats {
    return structuredClone(this.stats);
  }

  reset(): void {
    this.stats = empty();
  }
}
