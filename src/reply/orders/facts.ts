import { normalizeGorgiasDatetime } from '../../gorgias/datetime';
import { clippedText, FIELD_LIMITS, withinOrNull } from '../../gorgias/field-limits';
import type { ShopifyOrder } from '../../gorgias/schemas';
import type { OrderPolicy } from '../../policy/schema';
import { matchOrder, type OrderFacts, type OrderMatch, type OrderMention } from './branch';

/** Reading orders and order questions out of what Gorgias gives: used where the ticket is read (activities). */

/**
 * Shopify orders as the replies use them, the most recent first; unusable ones (no name or date) dropped. Every
 * field bounded (gorgias/field-limits.ts): a tracking number or a link too long to be real reads as none.
 */
export function orderFacts(orders: readonly ShopifyOrder[]): OrderFacts[] {
  const { tokenChars, trackingNumberChars, linkChars } = FIELD_LIMITS;
  const facts: OrderFacts[] = [];
  for (const order of orders) {
    const name = clippedText(order.name, FIELD_LIMITS.orderNameChars);
    const created = withinOrNull(order.created_at, tokenChars);
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
      financialStatus: clippedText(order.financial_status, tokenChars),
      fulfillmentStatus: clippedText(order.fulfillment_status, tokenChars),
      shippedAt: latest ? (normalizeGorgiasDatetime(latest.created_at) ?? normalizedOf(created)) : null,
      trackingNumber: withinOrNull(
        latest?.tracking_number?.trim() || latest?.tracking_numbers[0],
        trackingNumberChars,
      ),
      trackingUrl: withinOrNull(latest?.tracking_url?.trim() || latest?.tracking_urls[0], linkChars),
      shipmentStatus: clippedText(latest?.shipment_status, tokenChars),
      statusUrl: withinOrNull(order.order_status_url, linkChars),
    });
  }
  return facts.sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
}

/**
 * The order a message asks about among the customer's Shopify orders (null: Gorgias has no Shopify order data
 * on them), reduced to that one order: the others, their tracking and status links, stay out of the workflow's
 * history, and so does the chosen order's status link unless a template shows it.
 */
export function customerOrderMatch(
  orders: readonly ShopifyOrder[] | null,
  mention: OrderMention,
  keepStatusLink: boolean,
): OrderMatch {
  const match = matchOrder(orders === null ? null : orderFacts(orders), mention);
  if (match.found !== 'order' || keepStatusLink) return match;
  return { found: 'order', order: { ...match.order, statusUrl: null } };
}

function normalizedOf(datetime: string): string {
  return new Date(Date.parse(datetime)).toISOString();
}

/**
 * How much of what the customer wrote is read for an order question: questions are asked near the top, and
 * the cost is then bounded whatever the message's size (a 2 MB message costs what its first 8,000 characters
 * do; see bench/order-question.ts).
 */
export const SCANNED_TEXT_CHARS = 8_000;
const SCANNED_SUBJECT_CHARS = 500;

/**
 * Lower case, accents removed, apostrophes made plain: "Où EST" and "ou est" compare equal. The accents are
 * the combining diacritics Latin letters decompose into (keywords and text are folded alike).
 */
function folded(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[’‘`]/g, "'")
    .toLowerCase();
}

/**
 * The policy's keywords (every language's) as one pattern, ending a word, so a message is read once, not once
 * per keyword. Compiled once per keyword list (a worker sees one or two policies).
 */
const keywordPatterns = new Map<string, RegExp | null>();
function keywordPattern(keywords: OrderPolicy['keywords']): RegExp | null {
  const key = JSON.stringify(keywords);
  let pattern = keywordPatterns.get(key);
  if (pattern === undefined) {
    const words = [...new Set(Object.values(keywords).flatMap((list) => list.map((w) => folded(w.trim()))))]
      .filter((w) => w !== '')
      .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+'));
    pattern = words.length > 0 ? new RegExp(`(?:${words.join('|')})(?![\\p{L}\\p{N}])`, 'gu') : null;
    if (keywordPatterns.size >= 16) keywordPatterns.clear();
    keywordPatterns.set(key, pattern);
  }
  return pattern;
}

/** A number of 3 to 10 digits (ASCII, as order numbers are written), found where the digits are. */
const NUMBER = /\d{3,10}(?!\p{N})/gu;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
/**
 * What makes the number after it an order's: `#`, `n°`, `no.`, `nr.`, `№`, or the word for an order in the
 * languages the policy ships (with "number" after it, or not). Read on folded text (no accents, lower case),
 * on the few characters before a number only.
 */
const ORDER_WORDS = 'order|commande|bestellung|bestellnummer|auftrag|pedido|ordine|bestelling|encomenda';
const NUMBER_WORDS = 'number|nummer|numero|no\\.?|nr\\.?|n[°º]|#';
const ORDER_MARKER = new RegExp(
  `(?:^|[^\\p{L}\\p{N}])(?:#|n[°º]|no\\.|nr\\.?|№|(?:${ORDER_WORDS})(?:\\s*(?:${NUMBER_WORDS}))?)\\s*[:#]?\\s*$`,
  'u',
);
const MARKER_CHARS = 32;
const MAX_NUMBERS = 10;

/** Whether folded text holds a keyword as whole words (checked by hand before it: a lookbehind costs per character). */
function holdsKeyword(text: string, keywords: OrderPolicy['keywords']): boolean {
  const pattern = keywordPattern(keywords);
  if (!pattern) return false;
  for (const { index } of text.matchAll(pattern)) {
    if (index === 0 || !LETTER_OR_DIGIT.test(text[index - 1] ?? '')) return true;
  }
  return false;
}

/**
 * What the customer's message says about orders, read once over a bounded prefix of it: whether it asks about
 * one (Gorgias detected one of the policy's intents, or the subject or text holds one of its keywords, in any
 * language: detection is not always right), and the numbers it mentions, telling those written as an order's.
 */
export function readOrderQuestion(
  message: { subject: string | null; text: string | null; intents: readonly string[] },
  orders: OrderPolicy,
): { asks: boolean; mention: OrderMention } {
  const mention: OrderMention = { numbers: [], named: [] };
  if (!orders.enabled) return { asks: false, mention };
  const subject = (message.subject ?? '').slice(0, SCANNED_SUBJECT_CHARS);
  const text = folded(`${subject}\n${(message.text ?? '').slice(0, SCANNED_TEXT_CHARS)}`);
  const asks =
    message.intents.some((intent) => orders.intents.includes(intent)) || holdsKeyword(text, orders.keywords);
  for (const { 0: number, index } of text.matchAll(NUMBER)) {
    if (index > 0 && LETTER_OR_DIGIT.test(text[index - 1] ?? '')) continue; // part of a word or a longer number
    if (!mention.numbers.includes(number)) mention.numbers.push(number);
    const before = text.slice(Math.max(0, index - MARKER_CHARS), index);
    if (ORDER_MARKER.test(before) && !mention.named.includes(number)) mention.named.push(number);
    if (mention.numbers.length >= MAX_NUMBERS) break;
  }
  return { asks, mention };
}

/** Whether the customer's message asks about an order (see readOrderQuestion). */
export function isOrderQuestion(
  message: { subject: string | null; text: string | null; intents: readonly string[] },
  orders: OrderPolicy,
): boolean {
  return readOrderQuestion(message, orders).asks;
}
