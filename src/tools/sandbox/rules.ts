import { z } from 'zod';
import { ticketDatetime } from './objects';

/**
 * The account's Rules (`GET /api/rules`), as a merchant set them up: each a name, its conditions and actions as
 * JavaScript-like `code` (`if (eq(ticket.channel, 'email')) { Action('setTags', { tags: 'vip' }) }`, the shape a
 * copy of Gorgias's web app shows), the trigger events, and `deactivated_datetime` (null while active). Which
 * action names send a reply is inferred, not documented (docs/gorgias.md, "The merchant's Rules").
 */

export const ruleSettingSchema = z.strictObject({
  name: z.string().trim().min(1),
  code: z.string(),
  /** Comma-separated trigger events, as Gorgias stores them. */
  event_types: z.string().default('ticket-created'),
  /** false: the Rule is switched off (`deactivated_datetime` set). */
  active: z.boolean().default(true),
});
export type RuleSetting = z.input<typeof ruleSettingSchema>;

/** Rules a test or a tool can seed (`setRules`): the cases the service's start-up check tells apart. */
export const SAMPLE_RULES = {
  /** What the sandbox's new tickets show (`ruleNote`): a Rule that leaves an internal note, no reply. */
  triageNote: {
    name: 'New ticket triage',
    code: "if (eq(message.from_agent, false)) {\n    Action('addInternalNote', { body_text: 'Order question detected, no tag applied.' })\n}",
  },
  /** Gorgias's shipped "Autoresponder": an automatic reply to every new email ticket. */
  autoresponder: {
    name: 'Auto-reply to new emails',
    code: "if (eq(ticket.channel, 'email')) {\n    Action('replyToTicket', { body_text: 'Thanks, we got your message and will answer soon.' })\n}",
  },
  autoresponderSwitchedOff: {
    name: 'Old autoresponder',
    code: "Action('replyToTicket', { body_text: 'We received your message.' })",
    active: false,
  },
  /** An automatic reply on chat only, a channel the default policy does not answer. */
  chatGreeting: {
    name: 'Chat greeting',
    code: "if (eq(ticket.channel, 'chat')) {\n    Action('replyToTicket', { body_text: 'Hi! An agent will be with you shortly.' })\n}",
  },
} satisfies Record<string, RuleSetting>;

const FIRST_RULE_ID = 7001;
// Rules the merchant set up before the sandbox started.
const CREATED_AT = Date.UTC(2024, 6, 1, 9, 0, 0);

export interface RuleObject {
  id: number;
  uri: string;
  name: string;
  description: string | null;
  code: string;
  event_types: string;
  priority: number;
  type: 'user';
  created_datetime: string;
  updated_datetime: string;
  deactivated_datetime: string | null;
}

export class AccountRules {
  private rules: RuleObject[] = [];

  constructor(private readonly initial: readonly RuleSetting[]) {
    this.set(initial);
  }

  /** Replaces every Rule; ids restart, as for a fresh account. */
  set(settings: readonly RuleSetting[]): void {
    this.rules = settings.map((given, index) => {
      const setting = ruleSettingSchema.parse(given);
      const id = FIRST_RULE_ID + index;
      const at = ticketDatetime(CREATED_AT + index * 60_000);
      return {
        id,
        uri: `/api/rules/${id}/`,
        name: setting.name,
        description: null,
        code: setting.code,
        event_types: setting.event_types,
        priority: settings.length - index,
        type: 'user',
        created_datetime: at,
        updated_datetime: at,
        deactivated_datetime: setting.active ? null : at,
      };
    });
  }

  reset(): void {
    this.set(this.initial);
  }

  /** For listing: each Rule with the key it pages by (creation time, id). */
  listed(): { key: [number, number]; value: RuleObject }[] {
    return this.rules.map((rule) => ({
      key: [Date.parse(rule.created_datetime), rule.id],
      value: structuredClone(rule),
    }));
  }
}
