import { storeKeyKindOf } from './store-keys';
import type { Policy, StorePolicy } from './schema';

/**
 * One deployment, several stores: a ticket takes the policy of the store section whose email integration it
 * came through (by the integration's id, else its address), the top level otherwise. Pure: the workflow calls it.
 */

export const DEFAULT_STORE = 'default';

export interface StoreResolution {
  /** The section's key (`"6612"`, `support@brand.example`), null for the top level. */
  key: string | null;
  /** The store's name (the section's `name`, else its key), `default` for the top level. */
  name: string;
  /** How the ticket matched the section, for the note and `npm run preview`. */
  matchedBy: string | null;
  /** The language of tickets Gorgias gave none, if the store says. */
  language: string | null;
  /** The top-level policy with the store's overrides; `stores` emptied. */
  policy: Policy;
}

/** Where the customer's latest message arrived: the email integration (id, and address when read) and the To. */
export interface ArrivalFacts {
  integrationId: number | null;
  integrationAddress?: string | null;
  supportAddress: { address: string } | null;
}

/** The store a ticket belongs to, and the policy it gets. */
export function resolveStore(arrival: ArrivalFacts | null, policy: Policy): StoreResolution {
  const entries = Object.entries(policy.stores);
  const found = entries.length > 0 && arrival ? matchStore(arrival, entries) : null;
  if (!found) {
    return { key: null, name: DEFAULT_STORE, matchedBy: null, language: null, policy: withoutStores(policy) };
  }
  const [key, store, matchedBy] = found;
  return {
    key,
    name: store.name ?? key,
    matchedBy,
    language: store.language ?? null,
    policy: storePolicy(policy, store),
  };
}

function matchStore(
  arrival: ArrivalFacts,
  entries: [string, StorePolicy][],
): [string, StorePolicy, string] | null {
  const id = arrival.integrationId;
  if (id !== null) {
    const byId = entries.find(([key]) => storeKeyKindOf(key) === 'integration' && Number(key) === id);
    if (byId) return [byId[0], byId[1], `email integration ${id}`];
  }
  const addresses = [arrival.integrationAddress, arrival.supportAddress?.address]
    .filter((a): a is string => typeof a === 'string' && a.trim() !== '')
    .map((a) => a.trim().toLowerCase());
  for (const address of addresses) {
    const byAddress = entries.find(
      ([key]) => storeKeyKindOf(key) === 'address' && key.trim().toLowerCase() === address,
    );
    if (byAddress) return [byAddress[0], byAddress[1], `address ${address}`];
  }
  return null;
}

/** The top level with one store's overrides: templates merged by set name, the rest replaced. */
export function storePolicy(policy: Policy, store: StorePolicy): Policy {
  const merged: Policy = {
    ...withoutStores(policy),
    templates: { ...policy.templates, ...store.templates },
  };
  if (store.dry_run !== undefined) merged.dry_run = store.dry_run;
  if (store.experiment !== undefined) merged.experiment = store.experiment;
  if (store.channels !== undefined) merged.channels = store.channels;
  if (store.business_hours === null) delete merged.business_hours;
  else if (store.business_hours !== undefined) merged.business_hours = store.business_hours;
  return merged;
}

function withoutStores(policy: Policy): Policy {
  return { ...policy, stores: {} };
}

/** Whether any store section is keyed by an address (then the integration's address is worth knowing). */
export function hasAddressKeyedStores(policy: Policy): boolean {
  return Object.keys(policy.stores).some((key) => storeKeyKindOf(key) === 'address');
}
