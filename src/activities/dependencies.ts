import type { Client } from '@temporalio/client';
import type { GorgiasClient } from '../gorgias/client';
import type { Policy } from '../policy/schema';

/** What the activities are built from (createActivities): the worker passes them in, tests pass their own. */
export interface ActivityDependencies {
  gorgias: Pick<
    GorgiasClient,
    | 'getTicket'
    | 'getMessage'
    | 'findMessage'
    | 'createMessage'
    | 'addTags'
    | 'getIntegration'
    | 'getCustomer'
    | 'listTicketsCreatedSince'
  >;
  /**
   * The deployment this worker belongs to (AUTOREPLY_DEPLOYMENT, or its namespace and task queue): written into
   * the markers of what it posts, and only its own markers (and legacy ones) are read as ours (markers.ts).
   */
  deployment: string;
  /** The worker's current policy: what new workflows record at their start. */
  policy: Policy;
  /** The helpdesk user replies and notes are sent as: by id when configured, else by the API user's email. */
  sender: { id?: number; email: string };
  sending: {
    /** How long a POST whose outcome is unknown may take to show up at Gorgias before a retry looks for it. */
    unknownOutcomeWaitMs: number;
    /** The From address when the customer's email integration is unknown (else a guess from the recipients). */
    replyFrom?: { address: string; name?: string };
    /**
     * The kill switch, asked immediately before every send: a reason stops sending at once, also for workflows
     * that started (and recorded their policy) before it was turned on; null lets the send go.
     */
    stopped: () => string | null;
  };
  /** For trace links, the per-customer cooldown (recipient workflows) and the catch-up's workflow starts. */
  temporal: { client: Client; taskQueue: string; uiUrl: string };
  /** The clock that decides business hours; tests inject one. */
  now?: () => Date;
}
