import { z } from 'zod';
import { clipText } from '../temporal/ticket-start';
import { TRIGGERS, type Trigger } from '../temporal/definitions';

/**
 * A Gorgias HTTP-integration call. Gorgias sends whatever body the integration is configured with and no
 * event name (docs/gorgias.md, "Webhook deliveries"), so both forms a user can configure are accepted:
 * the whole context (`{{context}}`: `{ ticket, message? }`) and a small template (`{ ticket_id }`, where
 * ids arrive as numeric strings). The trigger comes from `?event=` on the integration URL or an `event`
 * field. Unknown fields are ignored (a `{{context}}` body carries the whole thread; only these few fields are
 * read), and a long text field is clipped, never rejected: one customer's megabyte subject must neither
 * fail the delivery nor stall the intake.
 */

/** Display fields are clipped to this many bytes of UTF-8; the summary shows less than that anyway. */
export const DISPLAY_FIELD_MAX_BYTES = 256;

/** A text field the intake only shows or compares: any string is accepted and clipped; anything else is null. */
const clippedText = (maxBytes: number) =>
  z
    .string()
    .transform((text) => clipText(text, maxBytes))
    .nullish()
    .catch(null);

/**
 * A flag the intake only uses to ignore a delivery. A template renders every variable as a string (`"True"`,
 * `"false"`; a missing one as `""`), so those spellings are read too; anything else is unknown (null), never a
 * 400: an unknown flag ignores nothing, and the workflow reads the real ticket from Gorgias anyway.
 */
const looseFlag = z
  .preprocess((value) => {
    if (typeof value !== 'string') return value;
    const word = value.trim().toLowerCase();
    return word === 'true' ? true : word === 'false' ? false : null;
  }, z.boolean().nullish())
  .catch(null);

const ticketIdSchema = z
  .union([
    z.number({ message: 'must be a positive integer' }),
    z.string().regex(/^\d+$/, { message: 'must be a positive integer (digits only)' }).transform(Number),
  ])
  .refine((id) => Number.isSafeInteger(id) && id > 0, { message: 'must be a positive integer' });

const triggerSchema = z.enum(TRIGGERS, { message: `must be one of: ${TRIGGERS.join(', ')}` });

export const deliveryBodySchema = z
  .object(
    {
      ticket_id: ticketIdSchema.optional(),
      ticket: z
        .object(
          {
            id: ticketIdSchema,
            spam: looseFlag,
            // Display only (the Web UI summary); the workflow reads the real values from Gorgias.
            subject: clippedText(DISPLAY_FIELD_MAX_BYTES),
            customer: z
              .object({ email: clippedText(DISPLAY_FIELD_MAX_BYTES) })
              .nullish()
              .catch(null),
          },
          { message: 'must be an object' },
        )
        .optional(),
      message: z
        .object(
          {
            // Compared with "internal-note" only; a longer value is some other channel either way.
            channel: clippedText(64),
            from_agent: looseFlag,
            public: looseFlag,
          },
          { message: 'must be an object' },
        )
        .optional(),
      event: triggerSchema.optional(),
    },
    { message: 'the body must be a JSON object' },
  )
  .superRefine((body, ctx) => {
    if (body.ticket_id === undefined && body.ticket === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['ticket_id'],
        message: 'is required (or send the whole ticket as "ticket")',
      });
    }
    if (body.ticket_id !== undefined && body.ticket !== undefined && body.ticket_id !== body.ticket.id) {
      ctx.addIssue({ code: 'custom', path: ['ticket_id'], message: 'does not match ticket.id' });
    }
  });
export type DeliveryBody = z.infer<typeof deliveryBodySchema>;

export const deliveryQuerySchema = z.object({ event: triggerSchema.optional() });

export type IgnoreReason = 'internal-note' | 'message-from-agent' | 'spam';

export interface WebhookDelivery {
  ticketId: number;
  trigger: Trigger | null;
  /** Set when the delivery is not ours to act on; nothing is started for it. */
  ignoreReason: IgnoreReason | null;
  /** From a whole-context body, for display only. */
  customerEmail: string | null;
  subject: string | null;
}

export type DeliveryProblem = { path: string; message: string };

export type ParsedDelivery =
  { ok: true; delivery: WebhookDelivery } | { ok: false; problems: DeliveryProblem[] };

function problemsOf(error: z.ZodError, prefix: string): DeliveryProblem[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(body)',
    message: issue.message,
  }));
}

/** Validates one delivery and decides whether it is ours to ignore (our own messages come back this way). */
export function parseDelivery(body: unknown, query: unknown): ParsedDelivery {
  const parsedBody = deliveryBodySchema.safeParse(body);
  const parsedQuery = deliveryQuerySchema.safeParse(query);
  const problems = [
    ...(parsedBody.success ? [] : problemsOf(parsedBody.error, '')),
    ...(parsedQuery.success ? [] : problemsOf(parsedQuery.error, 'query')),
  ];
  if (parsedBody.success && parsedQuery.success) {
    const fromQuery = parsedQuery.data.event;
    const fromBody = parsedBody.data.event;
    if (fromQuery && fromBody && fromQuery !== fromBody) {
      problems.push({
        path: 'event',
        message: `the body says "${fromBody}" but the URL says "${fromQuery}"`,
      });
    }
  }
  if (!parsedBody.success || !parsedQuery.success || problems.length > 0) return { ok: false, problems };

  const { ticket_id, ticket, event } = parsedBody.data;
  const trigger = parsedQuery.data.event ?? event ?? null;
  return {
    ok: true,
    delivery: {
      ticketId: (ticket_id ?? ticket?.id) as number,
      trigger,
      ignoreReason: ignoreReasonOf(parsedBody.data, trigger),
      customerEmail: ticket?.customer?.email ?? null,
      subject: ticket?.subject ?? null,
    },
  };
}

function ignoreReasonOf({ ticket, message }: DeliveryBody, trigger: Trigger | null): IgnoreReason | null {
  if (message?.channel === 'internal-note' || message?.public === false) return 'internal-note';
  // "ticket-message-failed" carries an agent's message that failed to send (ours, usually): the workflow must hear of it.
  if (message?.from_agent === true && trigger !== 'ticket-message-failed') return 'message-from-agent';
  if (ticket?.spam === true) return 'spam';
  return null;
}
