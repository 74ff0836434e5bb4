import {
  log,
  metricMeter,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { PostRun } from '../activities';
import { channelLabel, dueResult, METRICS, type FoundBy } from '../telemetry/coverage';
import type { Policy } from '../policy/schema';
import { policyVersion } from '../policy/version';
import type { SkipReason, TicketFacts } from '../reply/decision';
import {
  ArmAttribute,
  CustomerEmailAttribute,
  deliverySignal,
  KEPT_DELIVERIES,
  OutcomeAttribute,
  PolicyVersionAttribute,
  ReasonAttribute,
  stateQuery,
  StoreAttribute,
  type AutoReplyResult,
  type FailureReason,
  type Outcome,
  type Phase,
  type TicketDelivery,
  type TicketWorkflowState,
} from '../temporal/definitions';
import { workerDeployment } from './versioning';
import type { ExperimentArm } from '../reply/holdout';

/**
 * The bookkeeping of one ticket's workflow, kept out of the business process in ticket.ts: its state (the
 * `state` query), the deliveries it received, and where each decision is recorded (search attributes, the Web
 * UI's details, metrics, logs).
 */
export class TicketRun {
  readonly state: TicketWorkflowState;
  private ticket: TicketFacts | null = null;
  private failedDeliveries = 0;
  /** Who started this workflow (its first delivery), and whether its coverage was counted yet. */
  private foundBy: FoundBy | null = null;
  private covered = false;

  constructor(readonly ticketId: number) {
    this.state = {
      ticketId,
      phase: 'reading-ticket',
      deliveries: [],
      deliveryCount: 0,
      outcome: null,
      reason: null,
      result: null,
    };
    // Every delivery for this ticket lands here. Counting it is all there is to do, so redelivery is harmless;
    // only the latest are kept, so a flood of deliveries cannot grow the state without bound.
    setHandler(deliverySignal, (delivery: TicketDelivery) => {
      this.state.deliveryCount += 1;
      this.foundBy ??= delivery.trigger === 'catch-up' ? 'catch-up' : 'webhook';
      this.state.deliveries.push(delivery);
      if (this.state.deliveries.length > KEPT_DELIVERIES) this.state.deliveries.shift();
      if (delivery.trigger === 'ticket-message-failed') this.failedDeliveries += 1;
    });
    setHandler(stateQuery, () => this.state);
  }

  /** How many `ticket-message-failed` deliveries arrived so far (each one wakes the delivery check). */
  /** The ticket's first run: not a reset run, nor one continued from another. */
  get isFirstRun(): boolean {
    const info = workflowInfo();
    return info.runId === info.originalExecutionRunId && info.continuedFromExecutionRunId === undefined;
  }

  /**
   * For a posting activity (see PostRun): a reset run (or a later run) may repeat what an earlier run posted, whose
   * POST started before now (the earlier run ended when this one began): now, then, so the activity looks for it
   * once it has had time to land. Not the run's start time: a reset run keeps its first events.
   */
  postRun(): PostRun {
    return { earlierRunsBefore: this.isFirstRun ? null : Date.now(), scheduledInRun: workflowInfo().runId };
  }

  get messageFailedNotices(): number {
    return this.failedDeliveries;
  }

  /** What Gorgias said about the ticket, shown in the Web UI; the customer's address becomes searchable. */
  read(ticket: TicketFacts): void {
    this.ticket = ticket;
    const email = ticket.customer?.email?.toLowerCase();
    if (email) upsertSearchAttributes([{ key: CustomerEmailAttribute, value: email }]);
  }

  /**
   * The store section the ticket resolved to and the version of its policy: searchable (`GorgiasStore`,
   * `AutoReplyPolicyVersion`) and named in the notes.
   */
  atStore(store: { name: string; matchedBy: string | null; policy: Policy }): void {
    const version = policyVersion(store.policy);
    if (this.store?.name !== store.name || this.store.policyVersion !== version) {
      upsertSearchAttributes([
        { key: StoreAttribute, value: store.name },
        { key: PolicyVersionAttribute, value: version },
      ]);
    }
    this.store = { name: store.name, matchedBy: store.matchedBy, policyVersion: version };
  }

  store: { name: string; matchedBy: string | null; policyVersion: string } | null = null;

  /** The ticket's arm of the holdout experiment (null: in neither), searchable with the next decision recorded. */
  inExperiment(arm: ExperimentArm | null): void {
    this.arm = arm;
  }

  private arm: ExperimentArm | null = null;
  private armRecorded = false;

  enter(phase: Phase): void {
    this.state.phase = phase;
    const { ticket, state } = this;
    const deliveries = state.deliveries.map((d) => `${d.trigger ?? 'webhook'} at ${d.receivedAt}`).join(', ');
    const lines = [
      `**Phase:** ${phase}`,
      ticket
        ? `**Customer:** ${ticket.customer?.email ?? 'unknown'} · **Subject:** ${ticket.subject ?? '(none)'}`
        : null,
      state.outcome ? `**Outcome:** ${state.outcome}${state.reason ? ` (${state.reason})` : ''}` : null,
      `**Deliveries:** ${state.deliveryCount}${deliveries ? ` (latest: ${deliveries})` : ''}`,
      workerVersionLine(),
    ];
    setCurrentDetails(lines.filter(Boolean).join('\n\n'));
  }

  /** The decision, where the Web UI, the CLI (search attributes) and the metrics see it. */
  record(
    outcome: Outcome,
    reason: SkipReason | FailureReason | null = null,
    sentAt: string | null = null,
  ): void {
    if (this.state.outcome === outcome && this.state.reason === reason) return;
    this.state.outcome = outcome;
    this.state.reason = reason;
    // The arm goes with the decision that follows it (skipped, sending, failed): no command of its own.
    const arm = this.arm && !this.armRecorded ? [{ key: ArmAttribute, value: this.arm }] : [];
    this.armRecorded ||= arm.length > 0;
    upsertSearchAttributes([
      { key: OutcomeAttribute, value: outcome },
      ...(reason ? [{ key: ReasonAttribute, value: reason }] : []),
      ...arm,
    ]);
    if (outcome !== 'sending') {
      const labels = this.coverageLabels();
      metricMeter
        .createCounter(METRICS.ticketOutcomes, 'tickets', 'Ticket workflows by outcome and reason')
        .add(1, { outcome, reason: reason ?? 'none', store: labels.store, channel: labels.channel });
      this.recordCoverage(outcome, reason, sentAt);
    }
    log.info('Auto-reply decision', { ticketId: this.ticketId, outcome, reason });
  }

  /**
   * Once per ticket, at its first outcome: whether an acknowledgement was due and what became of it, by store,
   * channel and who found the ticket (`catch-up`: its webhook never came), and how long the acknowledgement took
   * from the ticket's creation to Gorgias's sending it.
   */
  private recordCoverage(outcome: Outcome, reason: string | null, sentAt: string | null): void {
    const result = dueResult(outcome, reason);
    if (this.covered || result === null) return;
    this.covered = true;
    const labels = this.coverageLabels();
    metricMeter
      .createCounter(METRICS.ticketsDue, 'tickets', 'Tickets owed an acknowledgement, by what became of it')
      .add(1, { ...labels, found_by: this.foundBy ?? 'webhook', result });
    const created = this.ticket?.createdAt ? Date.parse(this.ticket.createdAt) : NaN;
    const seconds = sentAt ? (Date.parse(sentAt) - created) / 1000 : NaN;
    if (Number.isFinite(seconds)) {
      metricMeter
        .createHistogram(
          METRICS.acknowledgementSeconds,
          'float',
          's',
          "Time from a ticket's creation to Gorgias sending its acknowledgement",
        )
        .record(Math.max(0, seconds), labels);
    }
  }

  /** Store names come from the policy, channels from a fixed set: bounded label values. */
  private coverageLabels(): { store: string; channel: string } {
    return { store: this.store?.name ?? 'unknown', channel: channelLabel(this.ticket?.channel) };
  }

  finish(result: AutoReplyResult): AutoReplyResult {
    this.record(
      result.outcome,
      result.outcome === 'skipped' ? result.reason : null,
      result.outcome === 'replied' ? result.sentAt : null,
    );
    this.state.result = result;
    this.enter('done');
    return result;
  }
}

/** The Worker Deployment version running the ticket (it is pinned to it); none for an unversioned worker. */
function workerVersionLine(): string | null {
  const version = workerDeployment();
  return version ? `**Worker version:** ${version.deploymentName} · ${version.buildId}` : null;
}
