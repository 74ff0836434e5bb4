import { ApplicationFailure, log } from '@temporalio/activity';
import { FAILURE_TYPES } from '../gorgias/failure-types';
import { boundedAddress, clippedText, FIELD_LIMITS } from '../gorgias/field-limits';
import type { Integration } from '../gorgias/schemas';
import type { Policy } from '../policy/schema';
import type { TicketFacts } from '../reply/decision';
import { replySender, ticketFacts } from '../reply/facts';
import { isOurReply } from '../reply/markers';
import type { OrderMatch, OrderMention } from '../reply/orders/branch';
import { customerOrderMatch } from '../reply/orders/facts';
import { withinPayloadLimit } from '../temporal/payload-limits';
import type { ActivityDependencies } from './dependencies';
import { callGorgias, currentAttempt } from './gorgias-call';
import { afterEarlierPosts, findMarked } from './post-once';

/** What reading a ticket needs of the run's policy. */
export interface TicketReading {
  orders: Policy['orders'];
  /** Store sections keyed by address: the integration's own address is read too. */
  addressKeyedStores: boolean;
  /** A template may show an order's status page link: the chosen order keeps it (see showsStatusLink). */
  statusLinks: boolean;
  /** `loop_guard.skip_tag`: read among the ticket's tags however many it has (absent in older histories). */
  skipTag?: string | null;
}

/** What Gorgias says about a posted reply: sent (and when), failed to send (and why), or not yet either. */
export type ReplyDelivery =
  | { state: 'sent'; sentAt: string }
  | { state: 'failed'; failedAt: string; error: string }
  | { state: 'pending' };

/** A failure that says the thing asked for is not there (404, 400), not that we may not ask: no retry. */
const isAbsent = (err: unknown) =>
  err instanceof ApplicationFailure && err.nonRetryable && err.type !== FAILURE_TYPES.auth;

/** The reads of one ticket's workflow: its policy, the ticket, the customer's order, the reply's fate. */
export function ticketReadActivities(deps: ActivityDependencies) {
  const { gorgias, policy, sending, deployment } = deps;
  // Email integrations rarely change: one read per integration and worker, shared by the reads that need it
  // at the same time (a failed read is forgotten, so the next one reads again).
  const integrations = new Map<number, Promise<Integration | null>>();

  function readIntegration(integrationId: number): Promise<Integration | null> {
    const read = callGorgias('read email integration', () => gorgias.getIntegration(integrationId)).catch(
      (err: unknown) => {
        // A deleted integration (404) is not fatal: the reply falls back to the configured or received address.
        if (isAbsent(err)) return null;
        integrations.delete(integrationId);
        throw err;
      },
    );
    integrations.set(integrationId, read);
    return read;
  }

  async function integrationAddress(
    integrationId: number,
  ): Promise<{ address: string; name: string | null } | null> {
    const integration = await (integrations.get(integrationId) ?? readIntegration(integrationId));
    const address = boundedAddress(integration?.meta?.address);
    if (!integration || !address || integration.deactivated_datetime !== null) return null;
    return { address, name: clippedText(integration.name, FIELD_LIMITS.nameChars) };
  }

  return {
    /** The policy in force, recorded in the workflow's history when it starts. (Local activity.) */
    async recordPolicy(): Promise<Policy> {
      return policy;
    },

    /**
     * The ticket, read as the run's recorded policy says (its order keywords; whether store sections need the
     * integration's address), never the worker's current one: a run decides and writes under one policy.
     */
    async fetchTicket({
      ticketId,
      policy,
    }: {
      ticketId: number;
      policy: TicketReading;
    }): Promise<TicketFacts> {
      const ticket = await callGorgias('fetch ticket', () => gorgias.getTicket(ticketId));
      if (ticket.unreadableMessages > 0) {
        log.warn('Skipped messages the reader could not use', {
          ticketId,
          skipped: ticket.unreadableMessages,
        });
      }
      const facts = ticketFacts(ticket, policy.orders, {
        keepStatusLink: policy.statusLinks,
        deployment,
        skipTag: policy.skipTag,
      });
      // The email integration that received the customer's message (read once per worker): the reply's From,
      // decided before the decision, and the address store sections may be keyed by.
      const received = facts.lastCustomerMessage;
      const integration = received?.integrationId ? await integrationAddress(received.integrationId) : null;
      if (received?.integrationId && policy.addressKeyedStores) {
        received.integrationAddress = integration?.address ?? null;
      }
      const configured = sending.replyFrom
        ? { address: sending.replyFrom.address, name: sending.replyFrom.name ?? null }
        : null;
      return withinPayloadLimit('the ticket read', {
        ...facts,
        replyFrom: replySender(received, integration, configured),
      });
    },

    /**
     * The order a question is about among the customer's Shopify orders, read from Gorgias once for a ticket
     * that did not carry them: that one order only (or why none). A customer Gorgias no longer has (404) has
     * no Shopify data.
     */
    async readCustomerOrders({
      customerId,
      lookFor,
      statusLinks,
    }: {
      customerId: number;
      lookFor: OrderMention;
      statusLinks: boolean;
    }): Promise<OrderMatch> {
      const customer = await callGorgias('read customer', () => gorgias.getCustomer(customerId)).catch(
        (err: unknown) => {
          if (isAbsent(err)) return null;
          throw err;
        },
      );
      const match = customer
        ? customerOrderMatch(customer.shopifyOrders, lookFor, statusLinks)
        : customerOrderMatch(null, lookFor, false);
      return withinPayloadLimit("the customer's order", match);
    },

    /** Whether Gorgias has sent the reply yet, or failed to. */
    async checkReplyDelivery({
      ticketId,
      messageId,
    }: {
      ticketId: number;
      messageId: number;
    }): Promise<ReplyDelivery> {
      const message = await callGorgias('read reply', () =>
        gorgias.getMessage(ticketId, messageId, currentAttempt()),
      );
      if (message.sent_datetime) return { state: 'sent', sentAt: message.sent_datetime };
      if (message.failed_datetime) {
        return {
          state: 'failed',
          failedAt: message.failed_datetime,
          error: message.last_sending_error ?? 'Gorgias did not say why',
        };
      }
      return { state: 'pending' };
    },

    /**
     * Our reply on the ticket, if it is there: asked once more before a ticket is handed back, once a POST
     * started before `postsBefore` (the send's last attempt, its answer perhaps lost) has had time to land.
     */
    async findReply(
      ticketId: number,
      postsBefore: number | null = null,
    ): Promise<{ messageId: number } | null> {
      afterEarlierPosts('find reply', postsBefore, sending.unknownOutcomeWaitMs);
      const found = await callGorgias('find reply', () =>
        findMarked(gorgias, ticketId, (m) => isOurReply(m, ticketId, deployment)),
      );
      return found ? { messageId: found.id } : null;
    },
  };
}
