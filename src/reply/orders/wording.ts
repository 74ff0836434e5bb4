import { DateTime } from 'luxon';
import { localeOf } from '../../policy/business-hours';
import type { OrderFacts } from './branch';

/** How an order reads in a reply: its localized date and status, and only the links that are safe to send. */

type Language = 'en' | 'fr' | 'de' | 'es';

interface StatusWords {
  payment: Record<string, string>;
  notShipped: string;
  partlyShipped: string;
  shipped: string;
  cancelled: string;
  shipment: Record<string, string>;
}

const WORDS: Record<Language, StatusWords> = {
  en: {
    payment: {
      pending: 'payment pending',
      authorized: 'payment authorized',
      partially_paid: 'partly paid',
      paid: 'paid',
      partially_refunded: 'partly refunded',
      refunded: 'refunded',
      voided: 'payment voided',
    },
    notShipped: 'not shipped yet',
    partlyShipped: 'partly shipped',
    shipped: 'shipped',
    cancelled: 'cancelled',
    shipment: {
      label_printed: 'label printed',
      label_purchased: 'label printed',
      confirmed: 'handed to the carrier',
      in_transit: 'in transit',
      out_for_delivery: 'out for delivery',
      attempted_delivery: 'delivery attempted',
      ready_for_pickup: 'ready for pickup',
      delivered: 'delivered',
      failure: 'delivery problem',
    },
  },
  fr: {
    payment: {
      pending: 'paiement en attente',
      authorized: 'paiement autorisé',
      partially_paid: 'payée en partie',
      paid: 'payée',
      partially_refunded: 'remboursée en partie',
      refunded: 'remboursée',
      voided: 'paiement annulé',
    },
    notShipped: 'pas encore expédiée',
    partlyShipped: 'expédiée en partie',
    shipped: 'expédiée',
    cancelled: 'annulée',
    shipment: {
      label_printed: 'étiquette imprimée',
      label_purchased: 'étiquette imprimée',
      confirmed: 'remise au transporteur',
      in_transit: 'en transit',
      out_for_delivery: 'en cours de livraison',
      attempted_delivery: 'tentative de livraison',
      ready_for_pickup: 'prête à être retirée',
      delivered: 'livrée',
      failure: 'problème de livraison',
    },
  },
  de: {
    payment: {
      pending: 'Zahlung ausstehend',
      authorized: 'Zahlung autorisiert',
      partially_paid: 'teilweise bezahlt',
      paid: 'bezahlt',
      partially_refunded: 'teilweise erstattet',
      refunded: 'erstattet',
      voided: 'Zahlung storniert',
    },
    notShipped: 'noch nicht versandt',
    partlyShipped: 'teilweise versandt',
    shipped: 'versandt',
    cancelled: 'storniert',
    shipment: {
      label_printed: 'Versandetikett erstellt',
      label_purchased: 'Versandetikett erstellt',
      confirmed: 'an den Versanddienst übergeben',
      in_transit: 'unterwegs',
      out_for_delivery: 'in Zustellung',
      attempted_delivery: 'Zustellversuch',
      ready_for_pickup: 'abholbereit',
      delivered: 'zugestellt',
      failure: 'Zustellproblem',
    },
  },
  es: {
    payment: {
      pending: 'pago pendiente',
      authorized: 'pago autorizado',
      partially_paid: 'pagado en parte',
      paid: 'pagado',
      partially_refunded: 'reembolsado en parte',
      refunded: 'reembolsado',
      voided: 'pago anulado',
    },
    notShipped: 'aún no enviado',
    partlyShipped: 'enviado en parte',
    shipped: 'enviado',
    cancelled: 'cancelado',
    shipment: {
      label_printed: 'etiqueta impresa',
      label_purchased: 'etiqueta impresa',
      confirmed: 'entregado al transportista',
      in_transit: 'en tránsito',
      out_for_delivery: 'en reparto',
      attempted_delivery: 'intento de entrega',
      ready_for_pickup: 'listo para recoger',
      delivered: 'entregado',
      failure: 'problema de entrega',
    },
  },
};

function languageOf(language: string | null): Language {
  const bare = (language ?? '').trim().toLowerCase().split(/[-_]/)[0] ?? '';
  return bare === 'fr' || bare === 'de' || bare === 'es' ? bare : 'en';
}

/** "paid, shipped (in transit)", "payée, pas encore expédiée": payment and fulfilment, in the ticket's language. */
export function orderStatusText(order: OrderFacts, language: string | null): string {
  const words = WORDS[languageOf(language)];
  if (order.cancelled) return words.cancelled;
  const parts: string[] = [];
  const payment = order.financialStatus ? words.payment[order.financialStatus] : undefined;
  if (payment) parts.push(payment);
  if (order.shippedAt === null) {
    parts.push(words.notShipped);
  } else {
    const shipped = order.fulfillmentStatus === 'partial' ? words.partlyShipped : words.shipped;
    const shipment = order.shipmentStatus ? words.shipment[order.shipmentStatus] : undefined;
    parts.push(shipment ? `${shipped} (${shipment})` : shipped);
  }
  return parts.join(', ');
}

/** The order's date in the shop's own timezone, written out in the ticket's language: "20 janvier 2020". */
export function orderDateText(order: OrderFacts, language: string | null): string {
  const created = DateTime.fromISO(order.createdAt, { setZone: true });
  if (!created.isValid) return order.createdAt.slice(0, 10);
  return created.setLocale(localeOf(language)).toLocaleString(DateTime.DATE_FULL);
}

/** A link as it may go to a customer: `https:` (and `http:` when allowed), or why it was left out. */
export function safeLink(
  url: string | null,
  allowHttp: boolean,
): { url: string | null; dropped: string | null } {
  if (url === null || url.trim() === '') return { url: null, dropped: null };
  const text = url.trim();
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return { url: null, dropped: 'not a valid URL' };
  }
  if (/[\s<>"'`]/.test(text)) return { url: null, dropped: 'contains spaces or quotes' };
  if (parsed.protocol === 'https:' || (allowHttp && parsed.protocol === 'http:')) {
    return { url: parsed.href, dropped: null };
  }
  return { url: null, dropped: `${parsed.protocol} links are not sent` };
}
