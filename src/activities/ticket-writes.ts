import { Context } from '@temporalio/activity';
import type { OrderAnswer } from '../reply/orders/branch';
import type { Policy } from '../policy/schema';
import { withinPayloadLimit } from '../temporal/payload-limits';
import { workflowUiUrl } from '../temporal/ui-link';
import type { OutgoingReply, TicketFacts } from '../reply/decision';
import { workflowIdForTicket } from '../temporal/definitions';
import { callGorgias, currentAttempt } from './gorgias-call';
import {
  confirmAttemptWith,
  findMarked,
  postMessageOnce,
  runResetAtWith,
  type MessagePosting,
  type PostRun,
} from './post-once';
import { composeReply, renderNote, type ComposedReply, type NoteContent } from '../reply/content';
import { isOurNote, isOurReply, markersOf } from '../reply/markers';
import type { ActivityDependencies } from './dependencies';

/** What the reply activity did: posted the reply (Gorgias sends it later), or held it (kill switch). */
export type SentReply =
  { status: 'posted'; messageId: number; to: string; from: string } | { status: 'held'; reason: string };

/** The writes of one ticket's workflow: render and send the reply, note, tag. Each posts at most once. */
export function ticketWriteActivities(deps: ActivityDependencies) {
  const { gorgias, temporal, sending, deployment } = deps;
  const markers = markersOf(deployment);
  const now = deps.now ?? (() => new Date());
  const senderRef = deps.sender.id !== undefined ? { id: deps.sender.id } : { email: deps.sender.email };
  const posting: MessagePosting = {
    gorgias,
    unknownOutcomeWaitMs: sending.unknownOutcomeWaitMs,
    confirmAttempt: confirmAttemptWith(temporal.client),
    runResetAt: runResetAtWith(temporal.client),
  };

  return {
    /**
     * Renders the reply with the run's store policy (as the workflow recorded and resolved it) for the ticket's
     * channel (or order branch), language and business hours. (Local activity.)
     */
    async renderReply({
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
      const address = (a: { address: string; name: string | null }) =>
        a.name ? { address: a.address, name: a.name } : { address: a.address };
      const message = await postMessageOnce(
        posting,
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
          external_id: markers.reply(ticketId),
          ...(from.integrationId ? { integration_id: from.integrationId } : {}),
        },
        () => findMarked(gorgias, ticketId, (m) => isOurReply(m, ticketId, deployment)),
        run,
        // The kill switch, asked only once a retry (or a later run) has looked for the reply it may have posted.
        sending.stopped,
      );
      if ('held' in message) return { status: 'held', reason: message.held };
      return { status: 'posted', messageId: message.id, to: to.address, from: from.address };
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
      const posted = await postMessageOnce(
        posting,
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
          external_id: markers.note(ticketId, note.kind, runId),
        },
        () => findMarked(gorgias, ticketId, (m) => isOurNote(m, ticketId, deployment, note.kind)),
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
