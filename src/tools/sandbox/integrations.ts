import { createHash } from 'node:crypto';
import { ticketDatetime, type Integration } from './objects';
import { SHOPIFY_INTEGRATION_ID } from './shopify';

/**
 * The account's integrations (docs/gorgias.md, "Writing messages"): one Shopify store, a contact form, and the email
 * integrations (support mailboxes) messages arrive at and replies leave from. Each email integration also has
 * a Gorgias forwarding address, `<16 characters>@email.gorgias.com`, which customers' mail may show in `to`
 * or `cc` (the merchant forwards the mailbox to it); inferred: captures show such addresses, not where
 * Gorgias lists them, so the sandbox puts it in `meta.forwarding_email_address`. Replies must come from the
 * integration's own address.
 */

export interface EmailIntegrationSetting {
  address: string;
  name?: string;
}

export const DEFAULT_EMAIL_INTEGRATIONS: EmailIntegrationSetting[] = [
  { address: 'support@shop.example.com', name: 'Shop Support' },
];

const FIRST_EMAIL_INTEGRATION_ID = 6601;
/**
 * The shop's contact form, an integration of its own without an address to send from (inferred: Gorgias lists
 * `contact_form` among integration types; its fields are not documented). Its tickets can be answered by email
 * only from an address found elsewhere.
 */
export const CONTACT_FORM_INTEGRATION_ID = 4501;
// The user who connected the integrations (the account owner).
const OWNER_USER_ID = 1;
// Integrations the merchant set up before the sandbox started; only auto-created ones carry the real time.
const CONNECTED_AT = Date.UTC(2024, 5, 1, 8, 0, 0);

export class AccountIntegrations {
  private byId = new Map<number, Integration>();
  private nextEmailId = FIRST_EMAIL_INTEGRATION_ID;

  constructor(
    private readonly configured: readonly EmailIntegrationSetting[],
    private readonly now: () => number,
  ) {
    this.reset();
  }

  /** Back to the configured integrations, with the same ids; auto-created ones are gone. */
  reset(): void {
    this.byId.clear();
    this.nextEmailId = FIRST_EMAIL_INTEGRATION_ID;
    this.byId.set(SHOPIFY_INTEGRATION_ID, shopifyIntegration(CONNECTED_AT));
    this.byId.set(CONTACT_FORM_INTEGRATION_ID, contactFormIntegration(CONNECTED_AT));
    for (const setting of this.configured) this.addEmail(setting, CONNECTED_AT);
  }

  get(integrationId: number): Integration | undefined {
    const integration = this.byId.get(integrationId);
    return integration && structuredClone(integration);
  }

  /** The integrations of a type (all without one), each with the key it pages by (creation time, id). */
  listed(type?: string): { key: [number, number]; value: Integration }[] {
    return [...this.byId.values()]
      .filter((i) => type === undefined || i.type === type)
      .map((i) => ({ key: [Date.parse(i.created_datetime), i.id], value: structuredClone(i) }));
  }

  isEmail(integrationId: number): boolean {
    return this.byId.get(integrationId)?.type === 'email';
  }

  /** The email integration that sends from this address (its own address, not its forwarding address). */
  sendingFrom(address: string): Integration | undefined {
    const wanted = address.trim().toLowerCase();
    return this.emails().find((i) => addressOf(i) === wanted);
  }

  /**
   * The email integration an incoming message reached: the first of its recipient addresses that is an
   * integration's address or forwarding address, in any position. When none is, the first recipient is a
   * support address the merchant connected meanwhile, and an integration is created for it.
   */
  receiving(recipients: readonly string[]): Integration | undefined {
    const wanted = recipients.map((a) => a.trim().toLowerCase());
    for (const integration of this.emails()) {
      const own = [addressOf(integration), forwardingAddressOf(integration)];
      if (wanted.some((a) => own.includes(a))) return integration;
    }
    const [first] = recipients;
    return first === undefined ? undefined : this.addEmail({ address: first.trim() }, this.now());
  }

  private emails(): Integration[] {
    return [...this.byId.values()].filter((i) => i.type === 'email');
  }

  private addEmail(setting: EmailIntegrationSetting, connectedAt: number): Integration {
    const id = this.nextEmailId++;
    const address = setting.address.trim();
    const at = ticketDatetime(connectedAt);
    const integration: Integration = {
      ...integrationBase(id, at),
      type: 'email',
      name: setting.name ?? address,
      meta: {
        address,
        preferred: id === FIRST_EMAIL_INTEGRATION_ID,
        verified: true,
        provider: 'gorgias',
        email_forwarding_activated: true,
        forwarding_email_address: `${digest(address.toLowerCase()).slice(0, 16)}@email.gorgias.com`,
        signature: null,
        outbound_verification_status: { single_sender: 'success', domain: 'unverified' },
      },
    };
    this.byId.set(id, integration);
    return integration;
  }
}

function shopifyIntegration(connectedAt: number): Integration {
  return {
    ...integrationBase(SHOPIFY_INTEGRATION_ID, ticketDatetime(connectedAt)),
    type: 'shopify',
    name: 'shop-example',
    meta: {
      shop_name: 'shop-example',
      shop_domain: 'shop.example.com',
      currency: 'USD',
      need_scope_update: false,
    },
  };
}

function contactFormIntegration(connectedAt: number): Integration {
  return {
    ...integrationBase(CONTACT_FORM_INTEGRATION_ID, ticketDatetime(connectedAt)),
    type: 'contact_form',
    name: 'Contact us',
    meta: { url: 'https://shop.example.com/pages/contact' },
  };
}

function integrationBase(id: number, at: string): Omit<Integration, 'type' | 'name' | 'meta'> {
  return {
    id,
    uri: `/api/integrations/${id}/`,
    description: null,
    http: null,
    decoration: null,
    mappings: null,
    user: { id: OWNER_USER_ID },
    created_datetime: at,
    updated_datetime: at,
    deactivated_datetime: null,
    deleted_datetime: null,
    locked_datetime: null,
  };
}

function addressOf(integration: Integration): string {
  return String(integration.meta.address).toLowerCase();
}

function forwardingAddressOf(integration: Integration): string {
  return String(integration.meta.forwarding_email_address).toLowerCase();
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
