import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { GorgiasRequestError } from '../gorgias/failures';
import { boundedAddress, clippedText, FIELD_LIMITS } from '../gorgias/field-limits';
import type { Integration, Message, NewMessage } from '../gorgias/schemas';
import type { OrderAnswer, OrderMatch, OrderMention } from '../orders/branch';
import { customerOrderMatch } from '../orders/facts';
import type { Policy } from '../policy/schema';
import { withinPayloadLimit } from '../temporal/payload-limits';
import { workflowUiUrl } from '../temporal/ui-link';
import type { OutgoingReply, TicketFacts } from '../workflows/decision';
import { workflowIdForTicket } from '../workflows/definitions';
import {
  callGorgias,
  confirmAttemptWith,
  currentAttempt,
  FAILURE_TYPES,
  afterEarlierPosts,
  heartbeat,
  postOnce,
  type PostRun,
} from './gorgias-call';
import { composeReply, renderNote, type ComposedReply, type NoteContent } from './reply-content';
import { externalIds, notePrefix, replySender, ticketFacts } from './ticket-facts';
import type { ActivityDependencies } from './dependencies';

/** What reading a ticket needs of the run's policy. */
export interface TicketReading {
  orders: Policy['orders'];
  /** Store sections keyed by address: the integration's own address is read too. */
  addressKeyedStores: boolean;
  /** A template may show an order's status page link: the chosen order keeps it (see showsStatusLink). */
  statusLinks: boolean;
}

/** What the reply activity did: posted the reply (Gorgias sends it later), or held it (kill switch). */
export type SentReply =
  { status: 'posted'; messageId: number; to: string; from: string } | { status: 'held'; reason: string };

/** What Gorgias says about a posted reply: sent (and when), failed to send (and why), or not yet either. */
export type ReplyDelivery =
  | { state: 'sent'; sentAt: string }
  | { state: 'failed'; failedAt: string; error: string }
  | { state: 'pending' };

/** The activities of one ticket's workflow: read it, compose, send, confirm, note, tag. */
export function messageActivities(deps: ActivityDependencies) {
  const { gorgias, policy, temporal, sending } = deps;
  const now = deps.now ?? (() => new Date());
  const senderRef = deps.sender.id !== undefined ? { id: deps.sender.id } : { email: deps.sender.email };
  // Email integrations rarely change: one read per integration and worker, shared by the sends that need it
  // at the same time (a failed read is forgotten, so the next send reads again).
  const confirmAttempt = confirmAttemptWith(temporal.client);
  const integrations = new Map<number, Promise<Integration | null>>();

  function readIntegration(integrationId: number): Promise<Integration | null> {
    const read = callGorgias('read email integration', () => gorgias.getIntegration(integrationId)).catch(
      (err: unknown) => {
        // A deleted integration (404) is not fatal: the reply falls back to the configured or received address.
        if (err instanceof ApplicationFailure && err.nonRetryable && err.type !== FAILURE_TYPES.auth)
          return null;
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

  /** Our message with this marker (or marker prefix), if the ticket has it. */
  async function findMarked(ticketId: number, marker: { exact: string } | { prefix: string }) {
    const found = await gorgias.findMessage(
      ticketId,
      (m: Message) =>
        'exact' in marker
          ? m.external_id === marker.exact
          : m.external_id?.startsWith(marker.prefix) === true,
      () => heartbeat(),
    );
    return found ? { id: found.id } : null;
  }

  /**
   * Posts a message once; when Gorgias's answer lacks the new id, the message is found by its marker. `hold` is
   * asked once an earlier post has been looked for (see postOnce).
   */
  function post(
    what: string,
    ticketId: number,
    message: NewMessage & { external_id: string },
    lookUp: () => Promise<{ id: number } | null>,
    run: PostRun,
  ): Promise<{ id: number }>;
  function post(
    what: string,
    ticketId: number,
    message: NewMessage & { external_id: string },
    lookUp: () => Promise<{ id: number } | null>,
    run: PostRun,
    hold: () => string | null,
  ): Promise<{ id: number } | { held: string }>;
  async function post(
    what: string,
    ticketId: number,
    message: NewMessage & { external_id: string },
    lookUp: () => Promise<{ id: number } | null>,
    run: PostRun,
    hold?: () => string | null,
  ): Promise<{ id: number } | { held: string }> {
    const posted = await postOnce({
      what,
      ...run,
      unknownOutcomeWaitMs: sending.unknownOutcomeWaitMs,
      confirmAttempt,
      lookUp,
      hold,
      post: (limits) => gorgias.createMessage(ticketId, message, limits),
    });
    if ('held' in posted) return posted;
    if (posted.id !== null) return { id: posted.id };
    const found = await callGorgias(`find ${what}`, lookUp);
    if (found) return found;
    throw new GorgiasRequestError('retryable', `${what}: created, but not listed yet`);
  }

  return {
    /** The policy in force, recorded in the workflow's history when it starts. (Local activity.) */
    async loadPolicy(): Promise<Policy> {
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
      const facts = ticketFacts(ticket, policy.orders, { keepStatusLink: policy.statusLinks });
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
          if (err instanceof ApplicationFailure && err.nonRetryable && err.type !== FAILURE_TYPES.auth)
            return null;
          throw err;
        },
      );
      const match = customer
        ? customerOrderMatch(customer.shopifyOrders, lookFor, statusLinks)
        : customerOrderMatch(null, lookFor, false);
      return withinPayloadLimit("the customer's order", match);
    },

    /**
     * Renders the reply with the run's store policy (as the workflow recorded and resolved it) for the ticket's
     * channel (or order branch), language and business hours. (Local activity.)
     */
    async composeReply({
      ticket,
      answer,
      store,
    }: {
      ticket: TicketFacts;
      answer?: OrderAnswer;
      store: { policy: Policy; language: string | null };
    }): Promise<ComposedReply> {
      const reply = composeReply(ticket, store.policy, now(), { answer, language: store.language });
      return withinPayloadLimit('the composed reply', reply);
    },

    /**
     * Posts the reply (Gorgias sends it afterwards), unless the kill switch is on: exactly what the POST needs,
     * its addresses decided when the ticket was read. A reset run may repeat an earlier run's send: it looks
     * for our reply first (see postOnce).
     */
    async sendReply({
      ticketId,
      to,
      from,
      receiverId,
      subject,
      bodyText,
      bodyHtml,
      ...run
    }: OutgoingReply & PostRun): Promise<SentReply> {
      const marker = externalIds.reply(ticketId);
      const address = (a: { address: string; name: string | null }) =>
        a.name ? { address: a.address, name: a.name } : { address: a.address };
      const message = await post(
        'reply',
        ticketId,
        {
          channel: 'email',
          via: 'api',
          from_agent: true,
          sender: senderRef,
          receiver: receiverId !== null ? { id: receiverId } : { email: to.address },
          source: { type: 'email', from: address(from), to: [address(to)] },
          subject,
          body_text: bodyText,
          body_html: bodyHtml,
          external_id: marker,
          ...(from.integrationId ? { integration_id: from.integrationId } : {}),
        },
        () => findMarked(ticketId, { exact: marker }),
        run,
        // The kill switch, asked only once a retry (or a later run) has looked for the reply it may have posted.
        sending.stopped,
      );
      if ('held' in message) return { status: 'held', reason: message.held };
      return { status: 'posted', messageId: message.id, to: to.address, from: from.address };
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
        findMarked(ticketId, { exact: externalIds.reply(ticketId) }),
      );
      return found ? { messageId: found.id } : null;
    },

    /**
     * An internal note: what was sent (or why not), and where to trace it. Marked per kind and per run; a
     * ticket that already has our note of this kind gets no second one.
     */
    async addInternalNote({
      ticketId,
      note,
      ...run
    }: { ticketId: number; note: NoteContent } & PostRun): Promise<{ messageId: number }> {
      const info = Context.current().info;
      const workflowId = info.workflowExecution?.workflowId ?? workflowIdForTicket(ticketId);
      const runId = info.workflowExecution?.runId ?? 'unknown-run';
      const body = renderNote(note, workflowUiUrl(temporal.uiUrl, info.namespace, workflowId));
      const posted = await post(
        `${note.kind} note`,
        ticketId,
        {
          channel: 'internal-note',
          via: 'api',
          from_agent: true,
          sender: senderRef,
          source: { type: 'internal-note' },
          // What Gorgias's own helpdesk sends on a note (docs/gorgias.md, "Writing messages").
          public: false,
          body_text: body.bodyText,
          body_html: body.bodyHtml,
          external_id: externalIds.note(ticketId, note.kind, runId),
        },
        () => findMarked(ticketId, { prefix: notePrefix(ticketId, note.kind) }),
        run,
      );
      return { messageId: posted.id };
    },

    /** Adds a tag, keeping the ticket's others (Gorgias's additive tags endpoint). Idempotent. */
    async tagTicket({ ticketId, tag }: { ticketId: number; tag: string }): Promise<void> {
      const attempt = currentAttempt();
      await callGorgias('tag ticket', () => gorgias.addTags(ticketId, [tag], attempt));
    },
  };
}
