import type { NewTicket } from '../gorgias/schemas';
import type { ShopifyFulfillment, ShopifyOrder } from './shopify';
import type { SandboxStore } from './store';

/**
 * A realistic month of past tickets for the backtest: a few a day to a few dozen, more on weekdays and in the
 * afternoon, through several stores' support addresses, in four languages. About half ask where an order is
 * (shipped, being prepared, late, or none found), a few are spam or automatic mail, some get a Gorgias Rule's
 * autoresponder within seconds, most an agent's answer minutes to hours later, and most end closed. Random
 * but seeded: the same options give the same month. Returns what it seeded, so a test can count by itself.
 */

export type SeededScenario =
  | 'plain'
  | 'order-shipped'
  | 'order-preparing'
  | 'order-delayed'
  | 'order-none'
  | 'spam'
  | 'no-reply-sender'
  | 'rule-instant';

export interface SeededTicket {
  ticketId: number;
  createdAt: string;
  /** The support address the customer wrote to. */
  store: string;
  language: string;
  scenario: SeededScenario;
  customerEmail: string;
  /** Whether the customer's tickets carry their Shopify orders (else only `GET /api/customers/{id}` has them). */
  ordersOnTicket: boolean;
  /** The first answer from our side (an agent, or a Rule's autoresponder), if any. */
  firstResponse: { by: 'agent' | 'rule'; at: string } | null;
  closed: boolean;
}

export interface MonthStore {
  address: string;
  language: string;
}

export interface MonthOptions {
  /** First day, `YYYY-MM-DD` (UTC). */
  since: string;
  days?: number;
  /** Average tickets per weekday (weekends get half). */
  perDay?: number;
  seed?: number;
  stores?: MonthStore[];
}

export const MONTH_STORES: MonthStore[] = [
  { address: 'support@shop.example.com', language: 'en' },
  { address: 'bonjour@maison-lune.example', language: 'fr' },
  { address: 'hallo@bergwerk.example', language: 'de' },
];

const DAY_MS = 86_400_000;

/** mulberry32: a small seeded generator, so a month is reproducible. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const TEXTS: Record<string, { order: string; plain: string; subjectOrder: string; subjectPlain: string }> = {
  en: {
    subjectOrder: 'Where is my order?',
    order: 'Hi, where is my order #{n}? It has not arrived yet.',
    subjectPlain: 'Question about sizes',
    plain: 'Hi, do you have the linen shirt in size M?',
  },
  fr: {
    subjectOrder: 'Ma commande',
    order: 'Bonjour, où en est ma commande #{n} ? Merci.',
    subjectPlain: 'Question sur les tailles',
    plain: 'Bonjour, avez-vous la chemise en lin en taille M ?',
  },
  de: {
    subjectOrder: 'Meine Bestellung',
    order: 'Hallo, wo ist meine Bestellung #{n}?',
    subjectPlain: 'Frage zur Größe',
    plain: 'Hallo, gibt es das Leinenhemd auch in Größe M?',
  },
  es: {
    subjectOrder: 'Mi pedido',
    order: 'Hola, ¿dónde está mi pedido #{n}?',
    subjectPlain: 'Pregunta sobre tallas',
    plain: 'Hola, ¿tienen la camisa de lino en talla M?',
  },
};

/** Seeds the month into the store; returns the tickets in creation order. */
export function seedMonth(store: SandboxStore, options: MonthOptions): SeededTicket[] {
  const random = seeded(options.seed ?? 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const stores = options.stores ?? MONTH_STORES;
  const start = Date.parse(`${options.since}T00:00:00Z`);
  const days = options.days ?? 31;
  const perDay = options.perDay ?? 20;
  const seededTickets: SeededTicket[] = [];
  let orderNumber = 2000;
  let customerNumber = 0;

  const moments: number[] = [];
  for (let day = 0; day < days; day += 1) {
    const weekday = new Date(start + day * DAY_MS).getUTCDay();
    const weekend = weekday === 0 || weekday === 6;
    const count = Math.round((weekend ? perDay / 2 : perDay) * (0.7 + random() * 0.6));
    for (let i = 0; i < count; i += 1) {
      // More in the afternoon and evening: the hour is drawn from a bump around 15:00 UTC.
      const hour = Math.min(23.99, Math.max(0, 15 + (random() + random() + random() - 1.5) * 10));
      moments.push(start + day * DAY_MS + Math.floor(hour * 3_600_000));
    }
  }
  moments.sort((a, b) => a - b);

  for (const createdAt of moments) {
    customerNumber += 1;
    const shop = pick(stores);
    const language = random() < 0.85 ? shop.language : pick(['en', 'fr', 'de', 'es']);
    const texts = TEXTS[language] ?? (TEXTS.en as (typeof TEXTS)['en']);
    const roll = random();
    const scenario: SeededScenario =
      roll < 0.2
        ? 'order-shipped'
        : roll < 0.32
          ? 'order-preparing'
          : roll < 0.4
            ? 'order-delayed'
            : roll < 0.46
              ? 'order-none'
              : roll < 0.5
                ? 'spam'
                : roll < 0.53
                  ? 'no-reply-sender'
                  : roll < 0.58
                    ? 'rule-instant'
                    : 'plain';
    // Unique across months seeded into one sandbox: a customer is found by address.
    const id = `${customerNumber}.${options.since.replace(/-/g, '')}`;
    const local = scenario === 'no-reply-sender' ? `noreply+${id}` : `customer${id}`;
    const customerEmail = `${local}@example.org`;
    const isOrder = scenario.startsWith('order-');
    const number = (orderNumber += 1);
    const subject = isOrder ? texts.subjectOrder : texts.subjectPlain;
    const body = (isOrder ? texts.order : texts.plain).replace('{n}', String(number));

    const ordersOnTicket = random() > 0.05;
    store.setCustomerOrders(customerEmail, ordersFor(scenario, number, createdAt, random), ordersOnTicket);
    const input: NewTicket = {
      customer: { email: customerEmail, name: `Customer ${customerNumber}`, firstname: 'Customer' },
      channel: 'email',
      via: 'email',
      subject,
      language,
      spam: scenario === 'spam',
      created_datetime: new Date(createdAt).toISOString(),
      messages: [
        {
          channel: 'email',
          via: 'email',
          from_agent: false,
          sender: { email: customerEmail },
          source: { type: 'email', from: { address: customerEmail }, to: [{ address: shop.address }] },
          subject,
          body_text: body,
        },
      ],
    };
    const ticket = store.createTicket(input);

    let firstResponse: SeededTicket['firstResponse'] = null;
    if (scenario === 'rule-instant') {
      store.seedReply(ticket.id, { by: 'rule', at: createdAt, text: 'Thanks, we got your message.' });
      firstResponse = { by: 'rule', at: new Date(createdAt).toISOString() };
    } else if (scenario !== 'spam' && scenario !== 'no-reply-sender' && random() < 0.9) {
      const rule = random() < 0.08;
      // A Rule answers within seconds; agents within minutes to a day (log-uniform, 2 min to 20 h).
      const delayMs = rule
        ? Math.floor((2 + random() * 20) * 1000)
        : Math.floor(Math.exp(Math.log(120) + random() * (Math.log(72_000) - Math.log(120))) * 1000);
      const at = createdAt + delayMs;
      store.seedReply(ticket.id, {
        by: rule ? 'rule' : 'agent',
        at,
        text: 'Thanks for waiting, here is the answer.',
      });
      firstResponse = { by: rule ? 'rule' : 'agent', at: new Date(at).toISOString() };
    }
    const closed = firstResponse !== null && random() < 0.7;
    if (closed && firstResponse) store.closeTicketAt(ticket.id, Date.parse(firstResponse.at) + 60_000);
    seededTickets.push({
      ticketId: ticket.id,
      createdAt: new Date(createdAt).toISOString(),
      store: shop.address,
      language,
      scenario,
      customerEmail,
      ordersOnTicket,
      firstResponse,
      closed,
    });
  }
  return seededTickets;
}

/** The customer's Shopify orders as they should stand at the ticket's creation for its scenario. */
function ordersFor(
  scenario: SeededScenario,
  number: number,
  ticketAt: number,
  random: () => number,
): ShopifyOrder[] | null {
  const hours = (h: number) => ticketAt - h * 3_600_000;
  switch (scenario) {
    case 'order-shipped':
      return [shopifyOrder(number, hours(24 * 4), hours(24 * 2), random() < 0.5 ? 'in_transit' : null)];
    case 'order-preparing':
      return [shopifyOrder(number, hours(6 + random() * 30), null, null)];
    case 'order-delayed':
      return [shopifyOrder(number, hours(24 * (6 + random() * 10)), null, null)];
    case 'order-none':
      return [];
    default:
      // An old, delivered order, or no Shopify orders at all.
      return random() < 0.5 ? [shopifyOrder(number, hours(24 * 90), hours(24 * 88), 'delivered')] : null;
  }
}

/** A Shopify order placed at `createdAt` (epoch ms), shipped with tracking at `shippedAt`, or not shipped (null). */
export function shopifyOrder(
  number: number,
  createdAt: number,
  shippedAt: number | null,
  shipment: string | null,
): ShopifyOrder {
  const tracking = `1Z999AA1${String(number).padStart(10, '0')}`;
  const fulfillment: ShopifyFulfillment | null =
    shippedAt === null
      ? null
      : {
          id: 4_300_000_000_000 + number,
          status: 'success',
          created_at: shopifyDatetime(shippedAt),
          tracking_company: 'UPS',
          tracking_number: tracking,
          tracking_numbers: [tracking],
          tracking_url: `https://www.ups.com/track?tracknum=${tracking}`,
          tracking_urls: [`https://www.ups.com/track?tracknum=${tracking}`],
          shipment_status: shipment,
        };
  return {
    id: 5_100_000_000_000 + number,
    name: `#${number}`,
    order_number: number,
    email: null,
    created_at: shopifyDatetime(createdAt),
    currency: 'EUR',
    total_price: `${40 + (number % 60)}.90`,
    financial_status: 'paid',
    fulfillment_status: fulfillment ? 'fulfilled' : null,
    fulfillments: fulfillment ? [fulfillment] : [],
    order_status_url: `https://shop.example.com/68123456/orders/${number}/authenticate?key=k${number}`,
  };
}

/** Shopify writes the shop's local time with its offset: `2026-10-04T10:21:03+02:00`. */
function shopifyDatetime(utcMs: number): string {
  return `${new Date(utcMs + 2 * 3_600_000).toISOString().slice(0, 19)}+02:00`;
}
