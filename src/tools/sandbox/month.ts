import { isServiceReply } from '../../reply/markers';
import type { NewTicket } from '../../gorgias/schemas';
import { seededRandom } from '../reports/random';
import type { ShopifyFulfillment, ShopifyOrder } from './shopify';
import type { SandboxStore } from './store';

/**
 * A realistic month of past tickets for the backtest and the scorecard: a few a day to a few dozen, more on
 * weekdays and in the afternoon, through several stores' support addresses, in four languages. About half ask
 * where an order is (shipped, being prepared, late, or none found), a few are spam or automatic mail, some get a
 * Gorgias Rule's autoresponder within seconds. Then the month is played out (playOutMonth): most tickets get an
 * agent's answer minutes to hours later, some customers write again before it ("any update?") or after it (a
 * reopen), most tickets end closed, and some closed ones get a satisfaction survey, with a configurable effect of
 * our acknowledgement on each: a known truth the scorecard must recover. Random but seeded: the same options give
 * the same month. Returns what it seeded, so a test can count by itself.
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
  /** The first answer from our side (an agent, or a Rule's autoresponder), if any, once played out. */
  firstResponse: { by: 'agent' | 'rule'; at: string } | null;
  /** Closed at the end, once played out. */
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
  /**
   * `now` (the default): the month is played out as it is seeded, with no acknowledgement anywhere (the
   * backtest's past). `later`: the tickets are left as they arrived (a Rule's instant answer apart), for the
   * service to decide; playOutMonth plays them out afterwards, with the effect of the acknowledgements it finds.
   */
  playOut?: 'now' | 'later';
}

/**
 * What our acknowledgement changes in how a ticket plays out (each 0 or 1 by default: none). The scorecard
 * must find these in the tickets (monthTruth says what it should find).
 */
export interface AcknowledgementEffect {
  /** Added to the chance the customer writes again before the first human answer ("any update?"). */
  followUpRate?: number;
  /** Multiplies the time to the first human answer. */
  firstResponseFactor?: number;
  /** Added to the chance the customer writes again after the first human answer (a reopen). */
  reopenRate?: number;
  /** Added to the mean satisfaction score (1 to 5) of surveys answered. */
  satisfaction?: number;
}

/** The month's model of what follows a ticket, without an acknowledgement. */
export const MONTH_MODEL = {
  /** Conversations a Rule's autoresponder answers within 2 to 22 s (besides the `rule-instant` ones). */
  ruleShare: 0.08,
  /** Conversations an agent answers, after 2 min to 20 h (log-uniform). */
  answeredShare: 0.9,
  answerSeconds: { min: 120, max: 72_000 },
  /** The customer writes again before the agent's answer (within 2 days when none comes). */
  followUpRate: 0.4,
  /** The customer writes again after the agent's answer, 1 to 48 h later; an agent answers that too. */
  reopenRate: 0.15,
  /** Answered tickets an agent closes a minute after answering (again after a reopen). */
  closedShare: 0.7,
  /** Closed tickets that get a survey an hour later, and surveys the customer answers. */
  surveySent: 0.85,
  surveyAnswered: 0.7,
  /** Scores are 1 + Binomial(4, q): this mean without an acknowledgement. */
  satisfactionMean: 3.6,
};

/** One ticket as played out: the truth the scorecard should find. */
export interface PlayedOutTicket {
  ticketId: number;
  store: string;
  /** Our auto-reply was on the ticket when it was played out (the effect applied). */
  acknowledged: boolean;
  /** Spam and automatic mail are not conversations: nothing follows them. */
  conversation: boolean;
  humanAnswerAt: string | null;
  followUpBeforeAnswer: boolean;
  reopened: boolean;
  closedAt: string | null;
  surveyScore: number | null;
}

/** What a scorecard should find in each arm: the population values of the model, with and without the effect. */
export function monthTruth(effect: AcknowledgementEffect = {}) {
  const arm = (e: AcknowledgementEffect) => {
    const { min, max } = MONTH_MODEL.answerSeconds;
    // Never answered counts as the longest wait: the median is where the answered reach half of all.
    const fraction = 0.5 / MONTH_MODEL.answeredShare;
    const median = Math.exp(Math.log(min) + fraction * (Math.log(max) - Math.log(min)));
    return {
      followUpRate: clamp01(MONTH_MODEL.followUpRate + (e.followUpRate ?? 0)),
      reopenRate: clamp01(MONTH_MODEL.reopenRate + (e.reopenRate ?? 0)),
      satisfactionMean: 1 + 4 * clamp01((MONTH_MODEL.satisfactionMean - 1 + (e.satisfaction ?? 0)) / 4),
      medianFirstHumanResponseSeconds: median * (e.firstResponseFactor ?? 1),
    };
  };
  return { holdout: arm({}), acknowledged: arm(effect) };
}

function clamp01(p: number): number {
  return Math.min(1, Math.max(0, p));
}

export const MONTH_STORES: MonthStore[] = [
  { address: 'support@shop.example.com', language: 'en' },
  { address: 'bonjour@maison-lune.example', language: 'fr' },
  { address: 'hallo@bergwerk.example', language: 'de' },
];

const DAY_MS = 86_400_000;

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
  const random = seededRandom(options.seed ?? 1);
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

    // The merchant's autoresponder Rule answered these at once: the service sees it before deciding.
    const ruleInstant = scenario === 'rule-instant';
    if (ruleInstant)
      store.seedReply(ticket.id, { by: 'rule', at: createdAt, text: 'Thanks, we got your message.' });
    seededTickets.push({
      ticketId: ticket.id,
      createdAt: new Date(createdAt).toISOString(),
      store: shop.address,
      language,
      scenario,
      customerEmail,
      ordersOnTicket,
      firstResponse: ruleInstant ? { by: 'rule', at: new Date(createdAt).toISOString() } : null,
      closed: false,
    });
  }
  if ((options.playOut ?? 'now') === 'now') {
    playOutMonth(store, seededTickets, { seed: options.seed, acknowledged: () => false });
  }
  return seededTickets;
}

export interface PlayOutOptions {
  seed?: number;
  /** The effect of our acknowledgement, by the support address the ticket came to (none where not named). */
  effects?: Record<string, AcknowledgementEffect>;
  /** Whether a ticket got our acknowledgement; by default, whether our auto-reply is on it (and not failed). */
  acknowledged?: (ticketId: number) => boolean;
}

const CONVERSATIONS = (scenario: SeededScenario) => scenario !== 'spam' && scenario !== 'no-reply-sender';
const HOUR_MS = 3_600_000;

/**
 * What happens to each ticket after it arrived, seeded into the store, and completed on the seeded tickets
 * (their first response and closing): the answers, follow-ups, reopens, closing and surveys, each drawn from the
 * same random numbers in both arms, so only the effect differs.
 */
export function playOutMonth(
  store: SandboxStore,
  tickets: SeededTicket[],
  options: PlayOutOptions = {},
): PlayedOutTicket[] {
  const random = seededRandom((options.seed ?? 1) ^ 0x9e3779b9);
  const ours = (ticketId: number) =>
    store.messagesOf(ticketId).some((m) => isServiceReply(m, ticketId) && m.failed_datetime === null);
  const acknowledged = options.acknowledged ?? ours;
  const model = MONTH_MODEL;
  return tickets.map((seededTicket) => {
    const { ticketId } = seededTicket;
    const createdAt = Date.parse(seededTicket.createdAt);
    // The same draws for every ticket, whatever happens to it: the two arms differ by the effect alone.
    const u = Array.from({ length: 16 }, random);
    const draw = (i: number) => u[i] as number;
    const conversation = CONVERSATIONS(seededTicket.scenario);
    const acked = conversation && acknowledged(ticketId);
    const effect = acked ? (options.effects?.[seededTicket.store] ?? {}) : {};
    const played: PlayedOutTicket = {
      ticketId,
      store: seededTicket.store,
      acknowledged: acked,
      conversation,
      humanAnswerAt: null,
      followUpBeforeAnswer: false,
      reopened: false,
      closedAt: null,
      surveyScore: null,
    };
    if (!conversation) return played;
    const firsts: { by: 'agent' | 'rule'; at: number }[] = [];
    if (seededTicket.firstResponse) firsts.push({ by: 'rule', at: createdAt });
    if (seededTicket.scenario !== 'rule-instant' && draw(0) < model.ruleShare) {
      const at = createdAt + Math.floor((2 + draw(1) * 20) * 1000);
      store.seedReply(ticketId, { by: 'rule', at, text: 'Thanks, we got your message.' });
      firsts.push({ by: 'rule', at });
    }
    const { min, max } = model.answerSeconds;
    const answered = draw(2) < model.answeredShare;
    const waitMs =
      Math.exp(Math.log(min) + draw(3) * (Math.log(max) - Math.log(min))) *
      1000 *
      (effect.firstResponseFactor ?? 1);
    const answerAt = createdAt + Math.floor(waitMs);
    if (draw(4) < model.followUpRate + (effect.followUpRate ?? 0)) {
      // Before the answer (or within two days when none comes).
      const until = answered ? waitMs : 48 * HOUR_MS;
      store.seedCustomerMessage(ticketId, {
        at: createdAt + Math.floor((0.1 + 0.8 * draw(5)) * until),
        text: 'Hello? Any update on this?',
      });
      played.followUpBeforeAnswer = true;
    }
    if (answered) {
      store.seedReply(ticketId, {
        by: 'agent',
        at: answerAt,
        text: 'Thanks for waiting, here is the answer.',
      });
      firsts.push({ by: 'agent', at: answerAt });
      played.humanAnswerAt = new Date(answerAt).toISOString();
      const closes = draw(6) < model.closedShare;
      let lastAnswerAt = answerAt;
      if (closes) store.closeTicketAt(ticketId, answerAt + 60_000);
      if (draw(7) < model.reopenRate + (effect.reopenRate ?? 0)) {
        const backAt = answerAt + Math.floor((1 + 47 * draw(8)) * HOUR_MS);
        store.seedCustomerMessage(ticketId, { at: backAt, text: 'Sorry, it still does not work.' });
        lastAnswerAt = backAt + Math.floor((1 + 7 * draw(9)) * HOUR_MS);
        store.seedReply(ticketId, { by: 'agent', at: lastAnswerAt, text: 'Here is what else you can do.' });
        if (closes) store.closeTicketAt(ticketId, lastAnswerAt + 60_000);
        played.reopened = true;
      }
      if (closes) {
        const closedAt = lastAnswerAt + 60_000;
        played.closedAt = new Date(closedAt).toISOString();
        const q = clamp01((model.satisfactionMean - 1 + (effect.satisfaction ?? 0)) / 4);
        if (draw(10) < model.surveySent) {
          const answeredSurvey = draw(11) < model.surveyAnswered;
          // 1 + Binomial(4, q): its mean is exactly 1 + 4q.
          const score = answeredSurvey ? 1 + [12, 13, 14, 15].filter((k) => draw(k) < q).length : null;
          store.seedSurvey(ticketId, {
            sentAt: closedAt + HOUR_MS,
            score,
            scoredAt: score === null ? null : closedAt + 3 * HOUR_MS,
          });
          played.surveyScore = score;
        }
      }
    }
    const first = firsts.sort((a, b) => a.at - b.at)[0];
    seededTicket.firstResponse = first ? { by: first.by, at: new Date(first.at).toISOString() } : null;
    seededTicket.closed = played.closedAt !== null;
    return played;
  });
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
