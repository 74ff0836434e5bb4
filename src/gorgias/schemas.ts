import { z } from 'zod';
import { normalizeGorgiasDatetime } from './datetime';

/**
 * The parts of the Gorgias REST API this service relies on (docs/gorgias.md).
 *
 * Responses are read by a tolerant reader: each schema names only the fields the service uses, every field
 * Gorgias may send as null (or leave out, or fill with a shape we did not expect) reads as null, `""` ids read
 * as null, unknown fields and unknown enum values are ignored, and a message the reader cannot use is skipped
 * (counted in `unreadableMessages`) instead of failing its ticket. Datetimes are normalised to UTC ISO strings
 * (a missing offset means UTC). Request bodies are strict, because Gorgias answers 400 to unknown parameters.
 */

/** A string, or null for anything else (null, missing, a number, an object). */
const text = z.string().nullable().catch(null);
/** A boolean, or null for anything else. */
const flag = z.boolean().nullable().catch(null);
/** An integer id; `""` and anything that is not an id read as null, numeric strings as numbers. */
const optionalId = z
  .preprocess(
    (v) => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v === '' ? null : v),
    z.number().int().nullable(),
  )
  .catch(null);
/** A datetime as a UTC ISO string (`...Z`), or null. */
const datetime = z.unknown().optional().transform(normalizeGorgiasDatetime);

/** Items of a list that parse; the others are dropped (and counted, where the caller wants to warn). */
function tolerantList<T extends z.ZodType>(item: T) {
  return z
    .array(z.unknown())
    .catch([])
    .transform((items) => {
      const kept: z.infer<T>[] = [];
      for (const raw of items) {
        const parsed = item.safeParse(raw);
        if (parsed.success) kept.push(parsed.data);
      }
      return { kept, dropped: items.length - kept.length };
    });
}

export const addressSchema = z.object({ address: z.string().trim().min(1), name: text });
export type Address = z.infer<typeof addressSchema>;
const addressList = tolerantList(addressSchema).transform((list) => list.kept);

export const messageSourceSchema = z.object({
  type: text,
  from: addressSchema.nullable().catch(null),
  to: addressList,
  cc: addressList,
  bcc: addressList,
});

const personSchema = z.object({ id: optionalId, email: text, name: text, firstname: text, lastname: text });

/** Gorgias's `last_sending_error` has no documented shape: keep a readable line of whatever it holds. */
const sendingError = z
  .unknown()
  .optional()
  .transform((value): string | null => {
    if (value === null || value === undefined || value === '') return null;
    if (typeof value === 'string') return value.slice(0, 500);
    if (typeof value === 'object') {
      const fields = value as Record<string, unknown>;
      for (const key of ['message', 'msg', 'error', 'detail', 'reason']) {
        const found = fields[key];
        if (typeof found === 'string' && found.trim() !== '') return found.slice(0, 500);
      }
    }
    return JSON.stringify(value).slice(0, 500);
  });

/** A message is usable when we know its id, its channel and which side wrote it; the rest may be missing. */
export const messageSchema = z.object({
  id: z.number().int(),
  ticket_id: optionalId,
  channel: z.string().min(1),
  via: text,
  from_agent: z.boolean(),
  public: flag,
  external_id: text.transform((v) => (v === '' ? null : v)),
  rule_id: optionalId,
  integration_id: optionalId,
  sender: personSchema.nullable().catch(null),
  receiver: personSchema.nullable().catch(null),
  source: messageSourceSchema.nullable().catch(null),
  subject: text,
  body_text: text,
  /** The customer's text without quoted history (incoming email). */
  stripped_text: text,
  /** The HTML bodies: some messages have text only here (an empty `body_text` and `stripped_text`). */
  body_html: text,
  stripped_html: text,
  headers: z.record(z.string(), z.unknown()).nullable().catch(null),
  /** Gorgias's detected customer intents (`shipping/status`, ...): names, or objects with a `name`. */
  intents: tolerantList(
    z.union([z.string().min(1), z.object({ name: z.string().min(1) }).transform((intent) => intent.name)]),
  ).transform((list) => list.kept),
  created_datetime: datetime,
  sent_datetime: datetime,
  failed_datetime: datetime,
  last_sending_error: sendingError,
});
export type Message = z.infer<typeof messageSchema>;

/** The answer to creating a message: any 2xx counts; only the new message's id matters, when it is there. */
export const createdMessageSchema = z
  .object({ id: z.number().int().positive().nullable().catch(null) })
  .catch({ id: null });

/** A Shopify fulfillment as Gorgias keeps it on the customer (Shopify's own field names). */
const shopifyFulfillmentSchema = z.object({
  status: text,
  created_at: datetime,
  tracking_number: text,
  tracking_numbers: tolerantList(z.string()).transform((list) => list.kept),
  tracking_url: text,
  tracking_urls: tolerantList(z.string()).transform((list) => list.kept),
  shipment_status: text,
});

/**
 * A Shopify order in `customer.integrations[<id>].orders` (docs/gorgias.md, "Reading answers"). `created_at`
 * keeps Shopify's own offset (the shop's local time), so a date shown to the customer is the shop's date.
 */
export const shopifyOrderSchema = z.object({
  id: optionalId,
  name: text,
  order_number: optionalId,
  created_at: text,
  cancelled_at: text,
  financial_status: text,
  fulfillment_status: text,
  order_status_url: text,
  fulfillments: tolerantList(shopifyFulfillmentSchema).transform((list) => list.kept),
});
export type ShopifyOrder = z.infer<typeof shopifyOrderSchema>;

/** Shopify's customer resource as Gorgias keeps it beside the orders: only the count of their orders is read. */
const shopifyCustomerPartSchema = z
  // A count, read as ids are: a number or a numeric string; anything else (null, "", missing) says nothing.
  .object({ orders_count: optionalId })
  .nullable()
  .catch(null);

/** What Gorgias's Shopify data on a customer (`customer.integrations`) says of their orders. */
interface ShopifyOrdersRead {
  /**
   * Every order of every Shopify store that carries its `orders` (unreadable ones dropped); `[]` also when no
   * store carries a list but every store's customer part says `orders_count: 0`. Null when it says nothing of
   * the orders, or only that some stores have none while another's are elsewhere (never "no orders" then).
   */
  orders: ShopifyOrder[] | null;
  /**
   * Some Shopify store's orders are not in this payload: its entry carries no `orders` list, and its customer
   * part does not say `orders_count: 0` (the count missing, null, unreadable or more). Reading the customer
   * (`GET /api/customers/{id}`) may find them; nothing else has them.
   */
  elsewhere: boolean;
  /** Whether any entry is Shopify's. */
  shopify: boolean;
}

/**
 * `customer.integrations`: keyed by integration id, each entry with `__integration_type__`. Read down to the
 * Shopify orders (see ShopifyOrdersRead): a store's entry carries them (`orders`), or its customer part
 * (`customer.orders_count`, Shopify's field) says there are none, or neither. Null when the payload has no
 * integrations object.
 */
const customerIntegrationsSchema = z
  .record(z.string(), z.unknown())
  .nullable()
  .catch(null)
  .transform((integrations): ShopifyOrdersRead | null => {
    if (integrations === null) return null;
    const carried: ShopifyOrder[] = [];
    let stores = 0;
    let told = 0;
    for (const entry of Object.values(integrations)) {
      if (typeof entry !== 'object' || entry === null) continue;
      const { __integration_type__: type, orders: list, customer } = entry as Record<string, unknown>;
      if (type !== 'shopify') continue;
      stores += 1;
      if (Array.isArray(list)) {
        told += 1;
        for (const raw of list) {
          const parsed = shopifyOrderSchema.safeParse(raw);
          if (parsed.success) carried.push(parsed.data);
        }
      } else if (shopifyCustomerPartSchema.parse(customer)?.orders_count === 0) told += 1;
    }
    const elsewhere = told < stores;
    // "No orders" only when every store says so; orders carried count even when another store's are elsewhere.
    const orders = told === 0 || (elsewhere && carried.length === 0) ? null : carried;
    return { orders, elsewhere, shopify: stores > 0 };
  });

/** One of a customer's addresses (`customer.channels`): `type` is `email`, `phone`, … */
const customerChannelSchema = z.object({
  type: text,
  address: z.string().trim().min(1),
  preferred: flag,
});

export const customerSchema = z
  .object({
    id: optionalId,
    email: text,
    name: text,
    firstname: text,
    lastname: text,
    /** Every address Gorgias knows the customer by; unreadable entries dropped. */
    channels: tolerantList(customerChannelSchema).transform((list) => list.kept),
    integrations: customerIntegrationsSchema.optional(),
  })
  .transform(({ integrations, ...customer }) => ({
    ...customer,
    shopifyOrders: integrations?.orders ?? null,
    /** Some Shopify store's orders are not in this payload (ShopifyOrdersRead.elsewhere). */
    shopifyOrdersElsewhere: integrations?.elsewhere ?? false,
    /** Whether Gorgias holds Shopify data on the customer; null when the payload does not say. */
    hasShopify: integrations ? integrations.shopify : null,
  }));
export type Customer = z.infer<typeof customerSchema>;

const tagSchema = z.object({ name: z.string().min(1) });

export const ticketSchema = z
  .object({
    id: z.number().int(),
    external_id: text,
    status: text,
    channel: text,
    via: text,
    from_agent: flag,
    spam: flag,
    subject: text,
    language: text,
    customer: customerSchema.nullable().catch(null),
    messages: tolerantList(messageSchema),
    /** Channels an agent can answer on now: entries are usually `{answerable: boolean}`, but not always. */
    reply_options: z.record(z.string(), z.unknown()).nullable().catch(null),
    tags: tolerantList(tagSchema).transform((list) => list.kept),
    created_datetime: datetime,
    updated_datetime: datetime,
    /** When the ticket was last closed (a reopened ticket closed again: the later close). */
    closed_datetime: datetime,
    trashed_datetime: datetime,
  })
  .transform(({ messages, ...ticket }) => ({
    ...ticket,
    messages: messages.kept,
    /** Messages skipped because the reader could not use them (the ticket is still answered). */
    unreadableMessages: messages.dropped,
  }));
export type Ticket = z.infer<typeof ticketSchema>;

/** Whether Gorgias says the ticket can be answered on a channel now (`reply_options.<channel>.answerable`). */
export function isAnswerable(ticket: Pick<Ticket, 'reply_options'>, channel: string): boolean {
  const entry = ticket.reply_options?.[channel];
  return (
    typeof entry === 'object' && entry !== null && (entry as { answerable?: unknown }).answerable === true
  );
}

const pageMetaSchema = z.object({ next_cursor: text, prev_cursor: text }).nullable().catch(null);

export const messageListSchema = z.object({
  data: tolerantList(messageSchema).transform((list) => list.kept),
  meta: pageMetaSchema,
});

export const ticketListSchema = z.object({
  data: tolerantList(ticketSchema).transform((list) => list.kept),
  meta: pageMetaSchema,
});

/**
 * A satisfaction survey (`GET /api/satisfaction-surveys`, docs/gorgias.md): one per ticket at most; `score` 1 to 5
 * once the customer answered, null until then (and for anything else).
 */
export const satisfactionSurveySchema = z.object({
  id: z.number().int(),
  ticket_id: optionalId,
  score: z.number().int().min(1).max(5).nullable().catch(null),
  created_datetime: datetime,
  sent_datetime: datetime,
  scored_datetime: datetime,
});
export type SatisfactionSurvey = z.infer<typeof satisfactionSurveySchema>;

/** A page of surveys: a list object like the others (inferred), or a bare array as one spec-derived copy shows. */
export const satisfactionSurveyListSchema = z.preprocess(
  (body) => (Array.isArray(body) ? { data: body, meta: null } : body),
  z.object({
    data: tolerantList(satisfactionSurveySchema).transform((list) => list.kept),
    meta: pageMetaSchema,
  }),
);

/** `GET /api/integrations/{id}`: an email integration's address is in `meta.address`. */
export const integrationSchema = z.object({
  id: z.number().int(),
  type: text,
  name: text,
  meta: z.object({ address: text }).nullable().catch(null),
  deactivated_datetime: datetime,
});
export type Integration = z.infer<typeof integrationSchema>;

export const integrationListSchema = z.object({
  data: tolerantList(integrationSchema).transform((list) => list.kept),
  meta: pageMetaSchema,
});

/**
 * `GET /api/account`: the start-up check reads only that the answer is a JSON object (a URL that is not a Gorgias
 * account answers otherwise), and its `domain` to show.
 */
export const accountSchema = z.object({ domain: text });
export type Account = z.infer<typeof accountSchema>;

/** A Rule (`GET /api/rules`): its `code` holds its conditions and actions as JavaScript-like text. */
export const ruleSchema = z.object({
  id: optionalId,
  name: text,
  code: text,
  deactivated_datetime: datetime,
});
export type Rule = z.infer<typeof ruleSchema>;

export const ruleListSchema = z.object({
  data: tolerantList(ruleSchema).transform((list) => list.kept),
  meta: pageMetaSchema,
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

/** `POST /api/tickets/{id}/tags`: adds tags by name, keeping the ticket's others. */
export const addTagsSchema = z.strictObject({ names: z.array(z.string().min(1)).min(1) });
export type AddTags = z.infer<typeof addTagsSchema>;

/** `PUT /api/tickets/{id}`: the fields the sandbox lets a test change (tags replace the ticket's list). */
export const ticketUpdateSchema = z.strictObject({
  tags: z.array(z.strictObject({ name: z.string().min(1) })).optional(),
  status: z.enum(['open', 'closed']).optional(),
  spam: z.boolean().optional(),
});
export type TicketUpdate = z.infer<typeof ticketUpdateSchema>;
