import { createHash } from 'node:crypto';

/**
 * The Shopify data Gorgias keeps on a customer, `customer.integrations[<shopify integration id>]`
 * (docs/gorgias.md, "Reading answers"): the Shopify customer, whose `orders_count` (Shopify's field) counts the
 * orders the sandbox holds for them, and, for some customers, their orders. It depends on the Gorgias customer
 * id and the day the customer was created only, so tests can predict it: a customer with an odd id has orders,
 * one with an even id none (the customer part only, `orders_count: 0`, as some real payloads carry it). Of the
 * customers with orders, ids of the form 4n+1 have two (the newest placed 3 to 7 days before,
 * shipped the next day and in transit, an older one delivered), ids of the form 4n+3 one placed a day or two
 * before, paid but not yet fulfilled. So the sample ticket ("where is my order?") gets each order branch but
 * the late one (see src/reply/orders/branch.ts). Field names follow Shopify's order object; the values are made up.
 */

export const SHOPIFY_INTEGRATION_ID = 4401;
const SHOP_DOMAIN = 'shop.example.com';

export interface ShopifyFulfillment {
  id: number;
  status: string;
  created_at: string;
  tracking_company: string | null;
  tracking_number: string | null;
  tracking_numbers: string[];
  tracking_url: string | null;
  tracking_urls: string[];
  shipment_status: string | null;
}

export interface ShopifyOrder {
  id: number;
  name: string;
  order_number: number;
  email: string | null;
  created_at: string;
  currency: string;
  total_price: string;
  financial_status: string;
  fulfillment_status: string | null;
  fulfillments: ShopifyFulfillment[];
  order_status_url: string;
}

export interface ShopifyCustomerData {
  __integration_type__: 'shopify';
  customer: {
    id: number;
    email: string | null;
    first_name: string;
    last_name: string;
    /** Left out where Gorgias's data says nothing of the customer's orders (setCustomerOrders with null). */
    orders_count?: number;
    created_at: string;
  };
  orders?: ShopifyOrder[];
}

export function shopifyDataFor(
  customer: {
    id: number;
    email: string | null;
    firstname: string;
    lastname: string;
  },
  createdAtMs: number,
): ShopifyCustomerData {
  const { id } = customer;
  // Dates count back from the day the customer was created, at a fixed time of day.
  const daysBefore = (days: number) =>
    Math.floor(createdAtMs / 86_400_000) * 86_400_000 + TIME_OF_DAY_MS - days * 86_400_000;
  const orders = id % 2 === 0 ? undefined : ordersFor(id, customer.email, daysBefore);
  return {
    __integration_type__: 'shopify',
    customer: {
      id: 7_200_000_000_000 + id,
      email: customer.email,
      first_name: customer.firstname,
      last_name: customer.lastname,
      orders_count: orders?.length ?? 0,
      created_at: shopifyDatetime(daysBefore(400 + (id % 200))),
    },
    ...(orders ? { orders } : {}),
  };
}

function ordersFor(
  customerId: number,
  email: string | null,
  daysBefore: (days: number) => number,
): ShopifyOrder[] {
  const number = 1000 + (customerId % 9000);
  if (customerId % 4 === 3) return [order(customerId, email, number, daysBefore(1 + (customerId % 2)))];
  const newest = order(customerId, email, number, daysBefore(3 + (customerId % 5)));
  const older = order(customerId, email, number - 1, daysBefore(60 + (customerId % 30)));
  return [
    { ...newest, fulfillment_status: 'fulfilled', fulfillments: [fulfillment(newest, 'in_transit')] },
    { ...older, fulfillment_status: 'fulfilled', fulfillments: [fulfillment(older, 'delivered')] },
  ];
}

/** A paid order, not yet fulfilled. */
function order(customerId: number, email: string | null, number: number, createdMs: number): ShopifyOrder {
  const token = digest(`${customerId}:${number}`);
  return {
    id: 5_100_000_000_000 + number,
    name: `#${number}`,
    order_number: number,
    email,
    created_at: shopifyDatetime(createdMs),
    currency: 'USD',
    total_price: `${40 + (number % 60)}.90`,
    financial_status: 'paid',
    fulfillment_status: null,
    fulfillments: [],
    order_status_url: `https://${SHOP_DOMAIN}/68123456/orders/${token.slice(0, 32)}/authenticate?key=${token.slice(8)}`,
  };
}

function fulfillment(order: ShopifyOrder, shipmentStatus: string): ShopifyFulfillment {
  const trackingNumber = `1Z999AA1${String(order.order_number).padStart(10, '0')}`;
  const trackingUrl = `https://www.ups.com/track?tracknum=${trackingNumber}`;
  return {
    id: 4_300_000_000_000 + order.order_number,
    status: 'success',
    // Shipped a day after the order.
    created_at: shopifyDatetime(Date.parse(order.created_at) + 86_400_000),
    tracking_company: 'UPS',
    tracking_number: trackingNumber,
    tracking_numbers: [trackingNumber],
    tracking_url: trackingUrl,
    tracking_urls: [trackingUrl],
    shipment_status: shipmentStatus,
  };
}

// The time of day the made-up dates share (15:21:03 UTC), so they depend on the day only.
const TIME_OF_DAY_MS = (15 * 3600 + 21 * 60 + 3) * 1000;

/** Shopify writes the shop's local time with its offset, e.g. `2025-03-04T10:21:03-05:00`. */
function shopifyDatetime(utcMs: number): string {
  return `${new Date(utcMs - 5 * 3_600_000).toISOString().slice(0, 19)}-05:00`;
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
