import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { GorgiasClient } from '../gorgias/client';
import { classifyFailure, type GorgiasRequestError } from '../gorgias/failures';
import type { Message, NewMessage } from '../gorgias/schemas';
import type { Policy } from '../policy/schema';
import { startTicketWorkflow, ticketWorkflowExists } from '../temporal/ticket-start';
import { workflowUiUrl } from '../temporal/ui-link';
import type { TicketFacts } from '../workflows/decide';
import { workflowIdForTicket } from '../workflows/ids';
import { composeReply, renderNote, type ComposedReply, type NoteContent } from './reply-content';
import { externalIds, ticketFacts } from './ticket-facts';

export type { ComposedReply, NoteContent } from './reply-content';

export interface ActivityDependencies {
  gorgias: Pick<
    GorgiasClient,
    'getTicket' | 'listMessages' | 'createMessage' | 'updateTicket' | 'listTicketsCreatedSince'
  >;
  policy: Policy;
  /** The helpdesk user replies and notes are sent as: by id when configured, else by the API user's email. */
  sender: { id?: number; email: string };
  /** For trace links, the per-customer cooldown (a visibility query) and the catch-up's workflow starts. */
  temporal: { client: Client; taskQueue: string; uiUrl: string };
  /** The clock that decides business hours; tests inject one. */
  now?: () => Date;
}

/** What the reply activity sent; the note reports it. */
export interface SentReply {
  messageId: number;
  sentAt: string;
  to: string;
}

/** Failure types the workflow's retry policy and an operator see. */
export const FAILURE_TYPES = {
  'rate-limited': 'GorgiasRateLimited',
  retryable: 'GorgiasUnavailable',
  permanent: 'GorgiasRejected',
} as const;

/** The one place where a Gorgias failure becomes a Temporal failure with the right retry behaviour. */
export function toActivityFailure(error: GorgiasRequestError): ApplicationFailure {
  return ApplicationFailure.create({
    type: FAILURE_TYPES[error.kind],
    message: error.message,
    nonRetryable: error.kind === 'permanent',
    nextRetryDelay: error.retryAfterMs,
    details: error.status === undefined ? [] : [{ status: error.status }],
  });
}

/** How long one Gorgias call may wait in the activity for a `Retry-After`, instead of failing the attempt. */
const MAX_RATE_LIMIT_WAIT_MS = 8_000;

/**
 * Makes one Gorgias call. A 429 with a short `Retry-After` is waited out here and the same call made again:
 * Gorgias did nothing, so failing the attempt would only make the retry repeat the idempotency look-up and
 * spend the call the post needs. Anything else becomes the activity's failure.
 */
async function callGorgias<T>(what: string, call: () => Promise<T>): Promise<T> {
  const context = Context.current();
  if (context.info.attempt > 1) {
    context.metricMeter
      .createCounter('gorgias_retried_calls', 'calls', 'Gorgias calls made by retried activity attempts')
      .add(1, { activity: context.info.activityType });
  }
  let waited = 0;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      const failure = classifyFailure(err, what);
      const wait = failure.retryAfterMs;
      if (failure.kind !== 'rate-limited' || wait === undefined || waited + wait > MAX_RATE_LIMIT_WAIT_MS) {
        throw toActivityFailure(failure);
      }
      waited += wait;
      await context.sleep(wait);
    }
  }
}

export function createActivities(deps: ActivityDependencies) {
  const { gorgias, policy, temporal } = deps;
  const now = deps.now ?? (() => new Date());
  const senderRef = deps.sender.id !== undefined ? { id: deps.sender.id } : { email: deps.sender.email };

  /**
   * Posts a message at most once. Temporal runs activities at least once, so a retry looks for the
   * marker an earlier attempt may have posted (its response lost or late) before posting again.
   * The first attempt skips the look-up: the ticket was just read without our marker.
   */
  async function postOnce(ticketId: number, message: NewMessage & { external_id: string }): Promise<Message> {
    if (Context.current().info.attempt > 1) {
      const existing = await callGorgias('list messages', () => gorgias.listMessages(ticketId));
      const posted = existing.find((m) => m.external_id === message.external_id);
      if (posted) return posted;
    }
    return callGorgias('create message', () => gorgias.createMessage(ticketId, message));
  }

  return {
    /** The policy in force, recorded in the workflow's history when it starts. (Local activity.) */
    async loadPolicy(): Promise<Policy> {
      return policy;
    },

    async fetchTicket(ticketId: number): Promise<TicketFacts> {
      return ticketFacts(await callGorgias('fetch ticket', () => gorgias.getTicket(ticketId)));
    },

    /** Renders the reply for the ticket's channel, language and business hours. (Local activity.) */
    async composeReply(ticket: TicketFacts): Promise<ComposedReply> {
      return composeReply(ticket, policy, now());
    },

    /**
     * Whether another ticket of this customer got an auto-reply within the window: asked of Temporal's
     * visibility (the search attributes the ticket workflows set), so it costs no Gorgias call. (Local activity.)
     */
    async hasRecentAutoReply(input: {
      ticketId: number;
      customerEmail: string;
      withinMinutes: number;
    }): Promise<boolean> {
      const since = new Date(now().getTime() - input.withinMinutes * 60_000).toISOString();
      const email = input.customerEmail.replace(/["\\]/g, '');
      const query =
        `CustomerEmail = "${email}" AND AutoReplyOutcome = "replied" AND WorkflowId != "${workflowIdForTicket(input.ticketId)}"` +
        ` AND (ExecutionStatus = "Running" OR CloseTime > "${since}")`;
      const { count } = await temporal.client.workflow.count(query);
      return count > 0;
    },

    async sendReply({ ticket, reply }: { ticket: TicketFacts; reply: ComposedReply }): Promise<SentReply> {
      const customer = ticket.customer;
      const from = ticket.lastCustomerMessage?.supportAddress;
      if (!customer?.email || !from) {
        throw ApplicationFailure.nonRetryable(
          'The ticket has no customer email or support address to reply from',
        );
      }
      const message = await postOnce(ticket.ticketId, {
        channel: 'email',
        via: 'api',
        from_agent: true,
        sender: senderRef,
        receiver: { id: customer.id },
        source: {
          type: 'email',
          from: from.name ? { address: from.address, name: from.name } : { address: from.address },
          to: [
            customer.name ? { address: customer.email, name: customer.name } : { address: customer.email },
          ],
        },
        subject: reply.subject,
        body_text: reply.bodyText,
        body_html: reply.bodyHtml,
        external_id: externalIds.reply(ticket.ticketId),
        ...(ticket.lastCustomerMessage?.integrationId
          ? { integration_id: ticket.lastCustomerMessage.integrationId }
          : {}),
      });
      return {
        messageId: message.id,
        sentAt: message.created_datetime ?? now().toISOString(),
        to: customer.email,
      };
    },

    /** The one internal note of a ticket: what was sent (or why not), and where to trace it. */
    async addInternalNote({
      ticketId,
      note,
    }: {
      ticketId: number;
      note: NoteContent;
    }): Promise<{ messageId: number }> {
      const info = Context.current().info;
      const workflowId = info.workflowExecution?.workflowId ?? workflowIdForTicket(ticketId);
      const body = renderNote(note, workflowUiUrl(temporal.uiUrl, info.namespace, workflowId));
      const message = await postOnce(ticketId, {
        channel: 'internal-note',
        via: 'api',
        from_agent: true,
        sender: senderRef,
        source: { type: 'internal-note' },
        body_text: body.bodyText,
        body_html: body.bodyHtml,
        external_id: externalIds.note(ticketId),
      });
      return { messageId: message.id };
    },

    /** Adds a tag, keeping the ticket's others (Gorgias replaces the whole list). Idempotent. */
    async tagTicket({ ticketId, tag }: { ticketId: number; tag: string }): Promise<void> {
      const ticket = await callGorgias('fetch ticket', () => gorgias.getTicket(ticketId));
      const names = (ticket.tags ?? []).map((t) => t.name);
      if (names.includes(tag)) return;
      await callGorgias('tag ticket', () =>
        gorgias.updateTicket(ticketId, { tags: [...names, tag].map((name) => ({ name })) }),
      );
    },

    /** Ids of the tickets created since `since`, and the newest creation time seen (the next checkpoint). */
    async listTicketsCreatedSince(since: string): Promise<{ ticketIds: number[]; newest: string | null }> {
      const tickets = await callGorgias('list tickets', () =>
        gorgias.listTicketsCreatedSince(new Date(since)),
      );
      const newest =
        tickets
          .map((t) => t.created_datetime)
          .filter((d): d is string => !!d)
          .sort()
          .at(-1) ?? null;
      return { ticketIds: tickets.map((t) => t.id), newest };
    },

    /** Starts the ticket workflow for each ticket that has none; the workflow ID makes repeats harmless. */
    async startMissedTicketWorkflows(ticketIds: number[]): Promise<{ started: number[]; known: number }> {
      const started: number[] = [];
      let known = 0;
      for (const ticketId of ticketIds) {
        if (await ticketWorkflowExists(temporal.client, ticketId)) {
          known += 1;
          continue;
        }
        try {
          await startTicketWorkflow(
            temporal.client,
            temporal.taskQueue,
            { ticketId, delivery: { trigger: 'catch-up', receivedAt: now().toISOString() } },
            10_000,
          );
          started.push(ticketId);
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          known += 1;
        }
      }
      return { started, known };
    },
  };
}
