import type { OrderPolicy } from '../policy/schema';

/**
 * Which of the customer's orders a reply is about, and which branch of the policy's order rules it takes: a
 * pure function of the ticket's facts, the policy and the clock, so the workflow can call it (like decision.ts).
 */

/** A Shopify order reduced to what the replies use (see orderFacts). */
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
  statusUrl: string | null;
}

/**
 * `shipped`: with tracking, shipped within `orders.shipped.within_days`. `preparing`: not shipped, ordered
 * within `orders.preparing.within_days`. `delayed`: not shipped and older (no auto-reply, a tag and a note).
 * `no-order`: the customer has no order we can see. `other`: an order that fits none of these (cancelled,
 * shipped without tracking, shipped long ago): the plain template, with the order's variables.
 */
export type OrderBranch = 'shipped' | 'preparing' | 'delayed' | 'no-order' | 'other';

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

/** The order a message is about: one whose number it mentions, else the most recent. */
export function chooseOrder(orders: readonly OrderFacts[], mentioned: readonly string[]): OrderFacts | null {
  const named = orders.find((o) => o.number !== null && mentioned.includes(o.number));
  if (named) return named;
  let latest: OrderFacts | null = null;
  for (const order of orders) {
    if (latest === null || Date.parse(order.createdAt) > Date.parse(latest.createdAt)) latest = order;
  }
  return latest;
}

/** The order branch for a ticket; `orders` null means the ticket (and the customer read) carried none. */
export function orderAnswer(
  ticket: { orderQuestion: boolean; mentionedOrders: string[]; orders: OrderFacts[] | null },
  orders: OrderPolicy,
  now: number,
): OrderAnswer {
  const none: OrderAnswer = { branch: null, order: null, template: null, detail: null };
  if (!orders.enabled || !ticket.orderQuestion) return none;
  const order = chooseOrder(ticket.orders ?? [], ticket.mentionedOrders);
  if (!order) {
    return {
      branch: 'no-order',
      order: null,
      template: orders.no_order.template,
      detail: 'no order found for this customer',
    };
  }
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
