import { ticketDatetime } from './objects';

/**
 * `GET /api/account` ("Retrieve your account" in Gorgias's reference): the account the credentials belong to.
 * Only `domain` is read by the service; the rest of the shape is inferred.
 */
export function accountObject(domain: string) {
  const created = ticketDatetime(Date.UTC(2023, 2, 1, 10, 0, 0));
  return {
    domain,
    status: { status: 'active' },
    created_datetime: created,
    updated_datetime: created,
    deactivated_datetime: null,
    settings: [],
  };
}

/** The sandbox's account, whose Gorgias URL would be `https://shop-example.gorgias.com`. */
export const SANDBOX_ACCOUNT_DOMAIN = 'shop-example';
