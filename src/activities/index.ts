import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ReplyConfig } from '../config';
import type { GorgiasClient } from '../gorgias/client';
import { classifyFailure, type GorgiasRequestError } from '../gorgias/failures';
import type { Message, NewMessage } from '../gorgias/schemas';
import { workflowUiUrl } from '../temporal/ui-link';
import { workflowIdForTicket } from '../workflows/ids';
import type { TicketFacts } from '../workflows/decide';
import { renderNote, renderReply } from './reply-content';
import { externalIds, ticketFacts } from './ticket-facts';

export interface ActivityDependencies {
  gorgias: Pick<GorgiasClient, 'getTicket' | 'listMessages' | 'createMessage'>;
  reply: ReplyConfig;
  /** The helpdesk user replies are sent as: by id when configured, else by the API user's email. */
  sender: { id?: number; email: string };
  temporalUiUrl: string;
}

/** What the reply activity sent; the note reports it. */
export interface SentReply {
  messageId: number;
  sentAt: string;
  to: string;
  subject: string;
  bodyText: string;
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

async function callGorgias<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toActivityFailure(classifyFailure(err, what));
  }
}

export function createActivities({ gorgias, reply, sender, temporalUiUrl }: ActivityDependencies) {
  const senderRef = sender.id !== undefined ? { id: sender.id } : { email: sender.email };

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
    async fetchTicket(ticketId: number): Promise<TicketFacts> {
      const ticket = await callGorgias('fetch ticket', () => gorgias.getTicket(ticketId));
      return ticketFacts(ticket);
    },

    async sendReply(ticket: TicketFacts): Promise<SentReply> {
      const customer = ticket.customer;
      const from = ticket.lastCustomerMessage?.supportAddress;
      if (!customer?.email || !from) {
        throw ApplicationFailure.nonRetryable(
          'The ticket has no customer email or support address to reply from',
        );
      }
      const content = renderReply(reply, ticket);
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
        subject: content.subject,
        body_text: content.bodyText,
        body_html: content.bodyHtml,
        external_id: externalIds.reply(ticket.ticketId),
        ...(ticket.lastCustomerMessage?.integrationId
          ? { integration_id: ticket.lastCustomerMessage.integrationId }
          : {}),
      });
      return {
        messageId: message.id,
        sentAt: message.created_datetime ?? new Date().toISOString(),
        to: customer.email,
        subject: content.subject,
        bodyText: content.bodyText,
      };
    },

    async addInternalNote({
      ticketId,
      reply: sent,
    }: {
      ticketId: number;
      reply: SentReply;
    }): Promise<{ messageId: number }> {
      const info = Context.current().info;
      const workflowId = info.workflowExecution?.workflowId ?? workflowIdForTicket(ticketId);
      const traceUrl = workflowUiUrl(temporalUiUrl, info.namespace, workflowId);
      const note = renderNote({ ...sent, replyMessageId: sent.messageId, traceUrl });
      const message = await postOnce(ticketId, {
        channel: 'internal-note',
        via: 'api',
        from_agent: true,
        sender: senderRef,
        source: { type: 'internal-note' },
        body_text: note.bodyText,
        body_html: note.bodyHtml,
        external_id: externalIds.note(ticketId),
      });
      return { messageId: message.id };
    },
  };
}

export type GorgiasActivities = ReturnType<typeof createActivities>;
