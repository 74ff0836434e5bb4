import { z } from 'zod';
import { FIELD_LIMITS } from '../gorgias/field-limits';
import { storeKeyKindOf } from './store-keys';

/**
 * The reply policy: one YAML or JSON file (POLICY_FILE; policy/default.yaml when unset), validated at
 * start-up. Every key is documented in README.md ("The reply policy").
 */

const DEFAULT_AUTOMATED_SENDERS = [
  'noreply',
  'no-reply',
  'no_reply',
  'donotreply',
  'do-not-reply',
  'do_not_reply',
  'mailer-daemon',
  'postmaster',
  'bounce',
  'bounces',
];

/**
 * Mail providers where every address is a different person: a count per domain there measures the shop's own
 * customers, not a flood, so only the per-customer cooldown applies to them (loop_guard.per_domain).
 */
const DEFAULT_MAIL_PROVIDERS = [
  'gmail.com',
  'googlemail.com',
  'outlook.com',
  'outlook.fr',
  'outlook.de',
  'hotmail.com',
  'hotmail.fr',
  'hotmail.co.uk',
  'hotmail.de',
  'hotmail.it',
  'hotmail.es',
  'live.com',
  'live.fr',
  'live.co.uk',
  'msn.com',
  'yahoo.com',
  'yahoo.fr',
  'yahoo.co.uk',
  'yahoo.de',
  'yahoo.it',
  'yahoo.es',
  'ymail.com',
  'aol.com',
  'icloud.com',
  'me.com',
  'mac.com',
  'proton.me',
  'protonmail.com',
  'gmx.com',
  'gmx.de',
  'gmx.net',
  'web.de',
  't-online.de',
  'orange.fr',
  'wanadoo.fr',
  'free.fr',
  'sfr.fr',
  'laposte.net',
  'libero.it',
  'mail.ru',
  'yandex.ru',
  'qq.com',
  '163.com',
];

const templateSchema = z.strictObject({
  subject: z.string().min(1),
  body: z.string().min(1),
});
export type Template = z.infer<typeof templateSchema>;

/** A template with an optional outside-hours variant. */
const templateVariantsSchema = templateSchema.extend({ outside_hours: templateSchema.optional() });

/** A template set: the default language, plus variants by ticket language (e.g. `fr`, `de`). */
const templateSetSchema = templateVariantsSchema.extend({
  languages: z.record(z.string().min(2), templateVariantsSchema).default({}),
});
export type TemplateSet = z.infer<typeof templateSetSchema>;

/**
 * An opening range, "HH:MM-HH:MM" in the policy's timezone. An end at or before the start runs over midnight
 * ("22:00-02:00": 22:00 to 24:00 that day, then 00:00 to 02:00 the next), and still belongs to the day it
 * starts on (that day's holiday removes all of it); "24:00" ends a range at midnight.
 */
const openingRange = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$/, {
    message: 'must be a range like "09:00-17:30" (or "22:00-02:00" over midnight)',
  })
  .refine((range) => range.slice(0, 5) !== range.slice(6), {
    error: (issue) =>
      `is empty: ${JSON.stringify(issue.input)} opens and closes at the same time (a whole day is "00:00-24:00")`,
  });
const dayHours = z.array(openingRange).default([]);
export const WEEKDAYS = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Parses an opening range the schema accepted into minutes of the day; `to` is after `from`, up to 48 h. */
export function rangeMinutes(range: string): { from: number; to: number } {
  const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const from = minutes(range.slice(0, 5));
  const end = minutes(range.slice(6));
  return { from, to: end > from ? end : end + 24 * 60 };
}

const businessHoursSchema = z.strictObject({
  timezone: z.string().refine(isTimezone, { message: 'must be an IANA timezone such as Europe/Paris' }),
  weekly: z.strictObject({
    monday: dayHours,
    tuesday: dayHours,
    wednesday: dayHours,
    thursday: dayHours,
    friday: dayHours,
    saturday: dayHours,
    sunday: dayHours,
  }),
  holidays: z.array(z.iso.date({ message: 'must be a date like 2026-12-25' })).default([]),
});
export type BusinessHours = z.infer<typeof businessHoursSchema>;

function isTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * What a delay must leave before the staleness limit: after it the workflow reads the ticket again and sends,
 * and the send may need retries over a short Gorgias outage or a 429's Retry-After (Gorgias's webhook itself
 * may come a little late). Five minutes covers that; a delay closer to the limit makes most replies go stale.
 */
export const MIN_SENDING_WINDOW_MINUTES = 5;

/** Why a delay does not fit before the staleness limit, or null when it does (no delay always fits). */
function delayProblem(delaySeconds: number, staleAfterMinutes: number): string | null {
  if (delaySeconds === 0) return null;
  const windowSeconds = staleAfterMinutes * 60 - delaySeconds;
  if (windowSeconds >= MIN_SENDING_WINDOW_MINUTES * 60) return null;
  const maxDelay = Math.floor(staleAfterMinutes * 60 - MIN_SENDING_WINDOW_MINUTES * 60);
  const minStale = Math.ceil(delaySeconds / 60) + MIN_SENDING_WINDOW_MINUTES;
  const fix =
    maxDelay > 0
      ? `lower delay_seconds to at most ${maxDelay} or raise stale_after_minutes to at least ${minStale}`
      : `raise stale_after_minutes to at least ${minStale} (or use no delay)`;
  return (
    `${delaySeconds} s leaves ${windowSeconds > 0 ? `only ${windowSeconds} s` : 'no time'} to send before ` +
    `timing.stale_after_minutes (${staleAfterMinutes} min), so replies would go stale: timing.delay_seconds ` +
    `must end at least ${MIN_SENDING_WINDOW_MINUTES} minutes before it; ${fix}`
  );
}

/** Words that make a message a question about an order, per language (matched in any language, accents ignored). */
export const DEFAULT_ORDER_KEYWORDS: Record<string, string[]> = {
  en: [
    'order',
    'package',
    'parcel',
    'delivery',
    'delivered',
    'shipping',
    'shipped',
    'shipment',
    'tracking',
    'where is my',
    'not arrived',
    "hasn't arrived",
  ],
  fr: ['commande', 'colis', 'livraison', 'livré', 'expédition', 'expédié', 'suivi', 'où en est', 'pas reçu'],
  de: [
    'bestellung',
    'paket',
    'lieferung',
    'geliefert',
    'versand',
    'versendet',
    'sendung',
    'wo ist',
    'nicht angekommen',
  ],
  es: [
    'pedido',
    'paquete',
    'envío',
    'entrega',
    'enviado',
    'seguimiento',
    'dónde está',
    'no ha llegado',
    'no me ha llegado',
  ],
};

/**
 * Order-aware replies: which messages ask about an order, and what each order status gets, like Gorgias's own
 * Order Status rule. Off unless `enabled` (the shipped default policy turns it on).
 */
const ordersSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** A message containing one of these (any language) asks about an order. */
    keywords: z.record(z.string().min(2), z.array(z.string().trim().min(2))).default(DEFAULT_ORDER_KEYWORDS),
    /** Gorgias's detected intents on the customer's message that mean the same. */
    intents: z.array(z.string().min(1)).default(['shipping/status']),
    /**
     * An order question whose ticket does not carry the customer's orders (Gorgias's ticket may hold the Shopify
     * customer without them, or say nothing of orders): read the customer from Gorgias for them, one more call
     * (5 for such a reply instead of 4). Off: the plain acknowledgement, and the note says the orders were not
     * on the ticket.
     */
    read_customer: z.boolean().default(false),
    /** Render `http:` links too (only `https:` by default); other schemes are always dropped. */
    allow_http_links: z.boolean().default(false),
    /** Shipped with tracking, within this many days of the shipment: the template with the tracking link. */
    shipped: z
      .strictObject({
        within_days: z.number().positive().default(14),
        template: z.string().min(1).default('order_shipped'),
      })
      .prefault({}),
    /** Not shipped yet, ordered within this many days: "being prepared". */
    preparing: z
      .strictObject({
        within_days: z.number().positive().default(3),
        template: z.string().min(1).default('order_preparing'),
      })
      .prefault({}),
    /** Not shipped and older than `preparing.within_days`: no auto-reply; this tag and a note, for a human. */
    delayed: z.strictObject({ tag: z.string().min(1).default('order-delayed') }).prefault({}),
    /** The customer asks about an order but has none we can see: ask for the order number. */
    no_order: z.strictObject({ template: z.string().min(1).default('order_number_request') }).prefault({}),
  })
  .prefault({});
export type OrderPolicy = z.infer<typeof ordersSchema>;

/** The template sets a policy's order branches use, by branch. */
export function orderTemplates(orders: OrderPolicy): Record<'shipped' | 'preparing' | 'no_order', string> {
  return {
    shipped: orders.shipped.template,
    preparing: orders.preparing.template,
    no_order: orders.no_order.template,
  };
}

/**
 * The share of eligible tickets held out of the acknowledgement, to measure what it changes (docs/scorecard.md):
 * chosen from the ticket id, so a ticket stays in its arm across deliveries and resets.
 */
const holdoutPercent = z.number().min(0).max(100);

/**
 * One store's (or brand's) section, for tickets that came through its email integration: what it overrides of
 * the top level. Templates are merged by set name; the others replace the top level's.
 */
const storeSchema = z.strictObject({
  /** Shown in notes, `npm run preview` and the `GorgiasStore` search attribute; the section's key by default. */
  name: z.string().trim().min(1).max(100).optional(),
  /** The language of tickets Gorgias gave none. */
  language: z.string().min(2).optional(),
  dry_run: z.boolean().optional(),
  channels: z
    .record(
      z.string().min(1),
      z.strictObject({ template: z.string().min(1), dry_run: z.boolean().optional() }),
    )
    .optional(),
  templates: z.record(z.string().min(1), templateSetSchema).optional(),
  /** null: this store is always open, whatever the top level says. */
  business_hours: businessHoursSchema.nullable().optional(),
  /** This store's holdout (replaces the top level's). */
  experiment: z.strictObject({ holdout_percent: holdoutPercent }).optional(),
});
export type StorePolicy = z.infer<typeof storeSchema>;

export const policySchema = z
  .strictObject({
    /** Post only an internal note "would have replied: …", never the reply. */
    dry_run: z.boolean().default(false),
    /** Ticket channels that get an auto-reply, each with the template set it uses (and its own dry run). */
    channels: z
      .record(
        z.string().min(1),
        z.strictObject({ template: z.string().min(1), dry_run: z.boolean().optional() }),
      )
      .default({ email: { template: 'acknowledgement' }, contact_form: { template: 'acknowledgement' } }),
    templates: z.record(z.string().min(1), templateSetSchema),
    /** What a missing template variable renders as. */
    fallbacks: z
      .strictObject({
        customer_first_name: z.string().default('there'),
        subject: z.string().default('your message'),
        next_opening: z.string().default('our next business day'),
      })
      .prefault({}),
    loop_guard: z
      .strictObject({
        /** Skip automatic mail: automated senders and auto-submitted, bulk or bounce headers. */
        enabled: z.boolean().default(true),
        automated_senders: z.array(z.string().min(1)).default(DEFAULT_AUTOMATED_SENDERS),
        blocked_addresses: z.array(z.string().min(3)).default([]),
        blocked_domains: z.array(z.string().min(1)).default([]),
        // No longer than a tag the ticket is read with, so that it is always seen.
        skip_tag: z.string().min(1).max(FIELD_LIMITS.tagChars).nullable().default('no-auto-reply'),
        /** At most one auto-reply per customer in this many minutes, across tickets; 0 turns it off. */
        cooldown_minutes: z.number().min(0).default(5),
        /** At most `max` auto-replies to addresses of one mail domain in `within_minutes`; max 0 turns it off. */
        per_domain: z
          .strictObject({
            max: z.number().int().min(0).max(1000).default(10),
            within_minutes: z
              .number()
              .positive()
              .max(7 * 24 * 60)
              .default(60),
            /** Domains (and their subdomains) where only the per-customer cooldown applies. */
            mail_providers: z.array(z.string().min(1)).default(DEFAULT_MAIL_PROVIDERS),
          })
          .prefault({}),
      })
      .prefault({}),
    timing: z
      .strictObject({
        /** Wait this long, then reply only if no agent has answered meanwhile. */
        delay_seconds: z
          .number()
          .min(0)
          .max(7 * 24 * 3600)
          .default(0),
        /** An acknowledgement not sent within this many minutes of the ticket's creation is not sent late. */
        stale_after_minutes: z.number().positive().default(30),
        /** Gorgias sends a reply after accepting it: look this long after posting whether it was sent... */
        confirm_first_check_seconds: z.number().min(1).max(600).default(5),
        /** ...then less and less often, for at most this long; past it the outcome is `unconfirmed`. */
        confirm_within_minutes: z
          .number()
          .min(1)
          .max(24 * 60)
          .default(15),
      })
      .prefault({})
      .superRefine((timing, ctx) => {
        const problem = delayProblem(timing.delay_seconds, timing.stale_after_minutes);
        if (problem) ctx.addIssue({ code: 'custom', path: ['delay_seconds'], message: problem });
      }),
    business_hours: businessHoursSchema.optional(),
    notes: z
      .strictObject({
        /**
         * Also leave a note when the policy decides not to answer, for the reasons an agent would wonder about
         * (isSkipNoted: automatic senders, blocked, no address, not answerable by email, cooldown). Off: the
         * agents see only what they must act on (a late order's note and tag are always written).
         */
        on_skip: z.boolean().default(false),
      })
      .prefault({}),
    failure: z
      .strictObject({
        /** Tag put on a ticket whose reply finally failed, so humans pick it up. */
        tag: z.string().min(1).default('auto-reply-failed'),
      })
      .prefault({}),
    orders: ordersSchema,
    /** A randomized holdout: eligible tickets that get no acknowledgement, for `npm run scorecard`. */
    experiment: z.strictObject({ holdout_percent: holdoutPercent.default(0) }).prefault({}),
    /** Per store (email integration id or address): overrides of templates, hours, channels and dry run. */
    stores: z.record(z.string().min(1), storeSchema).default({}),
    catch_up: z
      .strictObject({
        /** A Temporal Schedule that finds tickets whose webhooks were lost and starts their workflows. */
        enabled: z.boolean().default(true),
        every_minutes: z
          .number()
          .int()
          .min(1)
          .max(24 * 60)
          .default(5),
      })
      .prefault({}),
  })
  .superRefine((policy, ctx) => {
    const missing = (templates: Record<string, unknown>, name: string) => !(name in templates);
    for (const [channel, { template }] of Object.entries(policy.channels)) {
      if (missing(policy.templates, template)) {
        ctx.addIssue({
          code: 'custom',
          path: ['channels', channel, 'template'],
          message: `names template "${template}", which is not under "templates"`,
        });
      }
    }
    const branchTemplates = policy.orders.enabled ? Object.entries(orderTemplates(policy.orders)) : [];
    for (const [branch, template] of branchTemplates) {
      if (missing(policy.templates, template)) {
        ctx.addIssue({
          code: 'custom',
          path: ['orders', branch, 'template'],
          message: `names template "${template}", which is not under "templates" (or set orders.enabled: false)`,
        });
      }
    }
    const seen = new Map<string, string>();
    for (const [key, store] of Object.entries(policy.stores)) {
      if (storeKeyKindOf(key) === null) {
        ctx.addIssue({
          code: 'custom',
          path: ['stores', key],
          message:
            'must be keyed by an email integration id (e.g. "6612") or its address (support@brand.example)',
        });
      }
      const normalised = key.trim().toLowerCase();
      const twin = seen.get(normalised);
      if (twin !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['stores', key],
          message: `names the same integration as "${twin}"`,
        });
      }
      seen.set(normalised, key);
      const templates = { ...policy.templates, ...store.templates };
      for (const [channel, { template }] of Object.entries(store.channels ?? {})) {
        if (missing(templates, template)) {
          ctx.addIssue({
            code: 'custom',
            path: ['stores', key, 'channels', channel, 'template'],
            message: `names template "${template}", which is neither under this store's "templates" nor the top level's`,
          });
        }
      }
    }
  });

export type Policy = z.infer<typeof policySchema>;
