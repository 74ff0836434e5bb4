import type { OrderPolicy, Policy } from '../../policy/schema';

/**
 * Which of the customer's orders a reply is about, and which branch of the policy's order rules it takes: a
 * pure function of the ticket's facts, the policy and the clock, so the workflow can call it (like decision.ts).
 */

/** A Shopify order reduced to what a reply may say of it (see orderFacts), and the number it is named by. */
export interface OrderFacts {
  /** Shopify's name, e.g. `#1042`. */
  name: string;
  /** The digits of the name (or Shopify's order_number), to match a number the customer wrote. */
  number: string | null;
  /** Shopify's `created_at`, with the shop's offset kept. */
  createdAt: string;
  cancelled: boolean;
  financialStatus: string | null;
  fulfillmentStatus: string | null;
  /** When the latest fulfillment was created (UTC ISO), null when nothing has shipped. */
  shippedAt: string | null;
  trackingNumber: string | null;
  trackingUrl: string | null;
  shipmentStatus: string | null;
  /** The order's status page (a link that needs no login): kept only when a template shows it. */
  statusUrl: string | null;
}

/** The numbers a message mentions (at most 10), and those it writes as an order's ("#1042", "order 1042"). */
export interface OrderMention {
  numbers: string[];
  /** Written as an order's number: when none of the customer's orders has it, no other order is spoken of. */
  named: string[];
}

/** What the customer's orders say about the order a message asks about. */
export type OrderMatch =
  /** The order the message names, else the most recent. */
  | { found: 'order'; order: OrderFacts }
  /** The message names order numbers none of the customer's orders has. */
  | { found: 'not-theirs'; named: string[] }
  /** Gorgias's Shopify data lists the customer's orders, and there are none. */
  | { found: 'no-orders' }
  /** Gorgias has no Shopify order data on the customer: nothing can be said either way. */
  | { found: 'no-data' }
  /** The ticket does not carry the customer's orders, and the policy does not read them (orders.read_customer). */
  | { found: 'not-on-ticket' };

/**
 * An order question on a ticket: what the customer's orders say, or, when the ticket did not carry them, what
 * to look for among the orders read from the customer (the workflow reads them once).
 */
export type OrderQuestion = { match: OrderMatch } | { lookFor: OrderMention };

/**
 * `shipped`: with tracking, shipped within `orders.shipped.within_days`. `preparing`: not shipped, ordered
 * within `orders.preparing.within_days`. `delayed`: not shipped and older (no auto-reply, a tag and a note).
 * `no-order`: Shopify lists no order for the customer (the policy's no_order template asks for the number).
 * `other`: an order that fits none of these (cancelled, shipped without tracking, shipped long ago): the plain
 * template, with the order's variables. `not-theirs` (the customer names an order they do not have) and
 * `no-data` (no Shopify order data on the customer, or none on the ticket and the customer not read): the plain
 * template, without an order, and the note says why, for the agent who looks at it.
 */
export type OrderBranch =
  'shipped' | 'preparing' | 'delayed' | 'no-order' | 'other' | 'not-theirs' | 'no-data';

export interface OrderAnswer {
  /** null: the message does not ask about an order (or order replies are off): the plain acknowledgement. */
  branch: OrderBranch | null;
  order: OrderFacts | null;
  /** The template set the branch uses instead of the channel's, when it has one. */
  template: string | null;
  /** For the note: why the branch was taken, e.g. "order #1042 placed 9 days ago, not shipped". */
  detail: string | null;
}

const DAY_MS = 86_400_000;

/**
 * The order a message is about, among the customer's orders (null: Gorgias has no Shopify order data on them):
 * one whose number it mentions; else, when it names an order number, none (never another order's details);
 * else the most recent.
 */
export function matchOrder(orders: readonly OrderFacts[] | null, mention: OrderMention): OrderMatch {
  const named = orders?.find((o) => o.number !== null && mention.numbers.includes(o.number));
  if (named) return { found: 'order', order: named };
  if (mention.named.length > 0) return { found: 'not-theirs', named: mention.named };
  if (orders === null) return { found: 'no-data' };
  let latest: OrderFacts | null = null;
  for (const order of orders) {
    if (latest === null || Date.parse(order.createdAt) > Date.parse(latest.createdAt)) latest = order;
  }
  return latest ? { found: 'order', order: latest } : { found: 'no-orders' };
}

/**
 * The order branch for a ticket's order question (null: none). A question whose orders were never read (the
 * customer could not be) counts as one without Shopify data.
 */
export function orderAnswer(
  ticket: { orderQuestion: OrderQuestion | null },
  orders: OrderPolicy,
  now: number,
): OrderAnswer {
  const none: OrderAnswer = { branch: null, order: null, template: null, detail: null };
  const question = ticket.orderQuestion;
  if (!orders.enabled || !question) return none;
  const match: OrderMatch = 'match' in question ? question.match : { found: 'no-data' };
  const plain = (branch: OrderBranch, detail: string): OrderAnswer => ({
    branch,
    order: null,
    template: null,
    detail,
  });
  if (match.found === 'not-theirs') {
    const numbers = match.named.map((n) => `#${n}`).join(', ');
    return plain('not-theirs', `the customer names ${numbers}, not one of their orders`);
  }
  if (match.found === 'no-data') return plain('no-data', 'Gorgias has no Shopify orders for this customer');
  if (match.found === 'not-on-ticket')
    return plain('no-data', "the ticket does not carry the customer's orders");
  if (match.found === 'no-orders') {
    return {
      branch: 'no-order',
      order: null,
      template: orders.no_order.template,
      detail: 'no order found for this customer',
    };
  }
  const order = match.order;
  const days = (from: string) => (now - Date.parse(from)) / DAY_MS;
  const ageDays = days(order.createdAt);
  const placed = `order ${order.name} placed ${Math.floor(ageDays)} days ago`;
  if (order.cancelled)
    return { branch: 'other', order, template: null, detail: `${order.name} is cancelled` };
  if (order.shippedAt !== null) {
    const tracked = order.trackingNumber !== null || order.trackingUrl !== null;
    const shippedDays = days(order.shippedAt);
    if (tracked && shippedDays <= orders.shipped.within_days) {
      return {
        branch: 'shipped',
        order,
        template: orders.shipped.template,
        detail: `${placed}, shipped ${Math.floor(shippedDays)} days ago with tracking`,
      };
    }
    const why = tracked ? `shipped ${Math.floor(shippedDays)} days ago` : 'shipped without tracking';
    return { branch: 'other', order, template: null, detail: `${placed}, ${why}` };
  }
  if (ageDays <= orders.preparing.within_days) {
    return {
      branch: 'preparing',
      order,
      template: orders.preparing.template,
      detail: `${placed}, not shipped yet`,
    };
  }
  return {
    branch: 'delayed',
    order,
    template: null,
    detail: `${placed} and not shipped (more than ${orders.preparing.within_days} days)`,
  };
}

/**
 * Whether any template of the policy (a store's included) may show an order's status page (`status_url`, also
 * inside an `{{#order}}` section): if none does, that link, which opens the order without a login, is not
 * kept in the workflow's history.
 */
export function showsStatusLink(policy: Pick<Policy, 'templates' | 'stores'>): boolean {
  const templates = [policy.templates, ...Object.values(policy.stores).map((s) => s.templates ?? {})];
  return JSON.stringify(templates).includes('status_url');
}
