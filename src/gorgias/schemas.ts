import { z } from 'zod';

/**
 * The parts of the Gorgias REST API this service relies on (see shared/reference/gorgias-api.md §2–3).
 * Responses are parsed leniently (unknown fields are dropped, optional fields may be null); request bodies
 * are strict, because Gorgias answers 400 to unknown parameters.
 */

const nullableString = z.string().nullish();

export const addressSchema = z.object({
  address: z.string(),
  name: nullableString,
});
export type Address = z.infer<typeof addressSchema>;

export const messageSourceSchema = z.object({
  type: z.string(),
  from: addressSchema.nullish(),
  to: z.array(addressSchema).nullish(),
  cc: z.array(addressSchema).nullish(),
  bcc: z.array(addressSchema).nullish(),
});

const personSchema = z.object({
  id: z.number().int().nullish(),
  email: nullableString,
  name: nullableString,
  firstname: nullableString,
  lastname: nullableString,
});

export const messageSchema = z.object({
  id: z.number().int(),
  ticket_id: z.number().int().nullish(),
  channel: z.string(),
  via: z.string().nullish(),
  from_agent: z.boolean(),
  public: z.boolean().nullish(),
  external_id: nullableString,
  rule_id: z.number().int().nullish(),
  integration_id: z.number().int().nullish(),
  sender: personSchema.nullish(),
  receiver: personSchema.nullish(),
  source: messageSourceSchema.nullish(),
  subject: nullableString,
  body_text: nullableString,
  body_html: nullableString,
  headers: z.record(z.string(), z.unknown()).nullish(),
  created_datetime: nullableString,
  sent_datetime: nullableString,
  failed_datetime: nullableString,
});
export type Message = z.infer<typeof messageSchema>;

export const customerSchema = z.object({
  id: z.number().int(),
  email: nullableString,
  name: nullableString,
  firstname: nullableString,
  lastname: nullableString,
});
export type Customer = z.infer<typeof customerSchema>;

export const ticketSchema = z.object({
  id: z.number().int(),
  external_id: nullableString,
  status: z.string(),
  channel: z.string(),
  via: nullableString,
  from_agent: z.boolean().nullish(),
  spam: z.boolean().nullish(),
  subject: nullableString,
  language: nullableString,
  customer: customerSchema.nullish(),
  messages: z.array(messageSchema).default([]),
  reply_options: z.record(z.string(), z.object({ answerable: z.boolean() }).loose()).nullish(),
  tags: z.array(z.object({ name: z.string() }).loose()).nullish(),
  created_datetime: nullableString,
  updated_datetime: nullableString,
});
export type Ticket = z.infer<typeof ticketSchema>;

export const messageListSchema = z.object({
  data: z.array(messageSchema),
  meta: z.object({ next_cursor: nullableString, prev_cursor: nullableString }).nullish(),
});

export const ticketListSchema = z.object({
  data: z.array(ticketSchema),
  meta: z.object({ next_cursor: nullableString, prev_cursor: nullableString }).nullish(),
});

// ---- Request bodies (strict: unknown fields are a 400 at Gorgias) ----

const outgoingAddressSchema = z.strictObject({ address: z.string().min(1), name: z.string().optional() });
const userRefSchema = z.strictObject({
  id: z.number().int().positive().optional(),
  email: z.string().min(1).optional(),
  name: z.string().optional(),
});

export const newMessageSchema = z.strictObject({
  channel: z.string().min(1),
  via: z.string().min(1),
  from_agent: z.boolean(),
  sender: userRefSchema.optional(),
  receiver: userRefSchema.optional(),
  source: z
    .strictObject({
      type: z.string().min(1),
      from: outgoingAddressSchema.optional(),
      to: z.array(outgoingAddressSchema).optional(),
      cc: z.array(outgoingAddressSchema).optional(),
      bcc: z.array(outgoingAddressSchema).optional(),
    })
    .optional(),
  subject: z.string().optional(),
  body_text: z.string().optional(),
  body_html: z.string().optional(),
  external_id: z.string().max(255).optional(),
  integration_id: z.number().int().optional(),
  public: z.boolean().optional(),
  sent_datetime: z.string().optional(),
  mention_ids: z.array(z.number().int()).optional(),
  headers: z.record(z.string(), z.string()).optional(),
});
export type NewMessage = z.infer<typeof newMessageSchema>;

/** `POST /api/tickets` as the sandbox and the demo use it to seed a ticket with its first message. */
export const newTicketSchema = z.strictObject({
  customer: z.strictObject({
    email: z.string().min(1),
    name: z.string().optional(),
    firstname: z.string().optional(),
    lastname: z.string().optional(),
  }),
  messages: z.array(newMessageSchema).min(1),
  channel: z.string().min(1).optional(),
  via: z.string().min(1).optional(),
  subject: z.string().optional(),
  from_agent: z.boolean().optional(),
  spam: z.boolean().optional(),
  status: z.enum(['open', 'closed']).optional(),
  language: z.string().optional(),
  external_id: z.string().max(255).optional(),
  tags: z.array(z.strictObject({ name: z.string().min(1) })).optional(),
  created_datetime: z.string().optional(),
});
export type NewTicket = z.infer<typeof newTicketSchema>;

/** `PUT /api/tickets/{id}`: the fields this service changes (tags replace the ticket's list). */
export const ticketUpdateSchema = z.strictObject({
  tags: z.array(z.strictObject({ name: z.string().min(1) })).optional(),
  status: z.enum(['open', 'closed']).optional(),
  spam: z.boolean().optional(),
});
export type TicketUpdate = z.infer<typeof ticketUpdateSchema>;
