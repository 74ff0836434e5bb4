import { normalizeGorgiasDatetime } from '../gorgias/datetime';
import type { ShopifyOrder } from '../gorgias/schemas';
import type { OrderPolicy } from '../policy/schema';
import type { OrderFacts } from './branch';

/** Reading orders and order questions out of what Gorgias gives: used where the ticket is read (activities). */

/** Orders kept per ticket, the most recent first: enough to find the one a customer names. */
const KEPT_ORDERS = 10;

/** Shopify orders as the replies use them, the most recent first; unusable ones (no name or date) dropped. */
export function orderFacts(orders: readonly ShopifyOrder[]): OrderFacts[] {
  const facts: OrderFacts[] = [];
  for (const order of orders) {
    const name = order.name?.trim();
    const created = order.created_at?.trim();
    if (!name || !created || !Number.isFinite(Date.parse(created))) continue;
    const fulfillments = order.fulfillments
      .filter((f) => f.status !== 'cancelled' && f.status !== 'failure' && f.status !== 'error')
      .sort((a, b) => Date.parse(a.created_at ?? '') - Date.parse(b.created_at ?? ''));
    const latest = fulfillments.at(-1);
    const digits = name.replace(/\D/g, '') || (order.order_number !== null ? String(order.order_number) : '');
    facts.push({
      name,
      number: digits || null,
      createdAt: created,
      cancelled: order.cancelled_at !== null && order.cancelled_at.trim() !== '',
      financialStatus: order.financial_status,
      fulfillmentStatus: order.fulfillment_status,
      shippedAt: latest ? (normalizeGorgiasDatetime(latest.created_at) ?? normalizedOf(created)) : null,
      trackingNumber: latest?.tracking_number?.trim() || latest?.tracking_numbers[0]?.trim() || null,
      trackingUrl: latest?.tracking_url?.trim() || latest?.tracking_urls[0]?.trim() || null,
      shipmentStatus: latest?.shipment_status ?? null,
      statusUrl: order.order_status_url?.trim() || null,
    });
  }
  return facts.sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt)).slice(0, KEPT_ORDERS);
}

function normalizedOf(datetime: string): string {
  return new Date(Date.parse(datetime)).toISOString();
}

/** Lower case, accents removed, apostrophes made plain: "Où EST" and "ou est" compare equal. */
function folded(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').replace(/[’‘`]/g, "'").toLowerCase();
}

/** Whether `keyword` occurs in `text` as whole words (both folded). */
function containsWords(text: string, keyword: string): boolean {
  const escaped = keyword.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+');
  return new RegExp(`(^|[^\\p{L}\\p{N}])${escaped}($|[^\\p{L}\\p{N}])`, 'u').test(text);
}

/**
 * Whether the customer's message asks about an order: Gorgias detected one of the policy's intents on it, or
 * its subject or text holds one of the policy's keywords (every language's: detection is not always right).
 */
export function isOrderQuestion(
  message: { subject: string | null; text: string | null; intents: readonly string[] },
  orders: OrderPolicy,
): boolean {
  if (!orders.enabled) return false;
  if (message.intents.some((intent) => orders.intents.includes(intent))) return true;
  const text = folded(`${message.subject ?? ''}\n${message.text ?? ''}`);
  return Object.values(orders.keywords).some((words) =>
    words.some((word) => containsWords(text, folded(word.trim()))),
  );
}

/** Numbers that may name an order ("#1042", "order 1042", "n° 1042"): 3 to 10 digits, at most 10 of them. */
export function mentionedOrderNumbers(text: string): string[] {
  const found = new Set<string>();
  for (const match of text.matchAll(/(?:^|[^\p{L}\p{N}])#?\s?(\d{3,10})(?![\p{N}])/gu)) {
    if (match[1]) found.add(match[1]);
    if (found.size >= 10) break;
  }
  return [...found];
}
