import { z } from 'zod';

/**
 * The reply policy: one YAML or JSON file (POLICY_FILE; policy/default.yaml when unset), validated at
 * start-up. Every key is documented in README.md ("The reply policy").
 */

const DEFAULT_AUTOMATED_SENDERS = [
  'noreply',
  'no-reply',
  'no_reply',
  'donotreply',
  'do-not-reply',
  'do_not_reply',
  'mailer-daemon',
  'postmaster',
  'bounce',
  'bounces',
];

const templateSchema = z.strictObject({
  subject: z.string().min(1),
  body: z.string().min(1),
});
export type Template = z.infer<typeof templateSchema>;

/** A template with an optional outside-hours variant. */
const templateVariantsSchema = templateSchema.extend({ outside_hours: templateSchema.optional() });

/** A template set: the default language, plus variants by ticket language (e.g. `fr`, `de`). */
const templateSetSchema = templateVariantsSchema.extend({
  languages: z.record(z.string().min(2), templateVariantsSchema).default({}),
});
export type TemplateSet = z.infer<typeof templateSetSchema>;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, {
  message: 'must be a range like "09:00-17:30"',
});
const dayHours = z.array(hhmm).default([]);
export const WEEKDAYS = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const businessHoursSchema = z.strictObject({
  timezone: z.string().refine(isTimezone, { message: 'must be an IANA timezone such as Europe/Paris' }),
  weekly: z.strictObject({
    monday: dayHours,
    tuesday: dayHours,
    wednesday: dayHours,
    thursday: dayHours,
    friday: dayHours,
    saturday: dayHours,
    sunday: dayHours,
  }),
  holidays: z.array(z.iso.date({ message: 'must be a date like 2026-12-25' })).default([]),
});
export type BusinessHours = z.infer<typeof businessHoursSchema>;

function isTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const policySchema = z
  .strictObject({
    /** Post only an internal note "would have replied: …", never the reply. */
    dry_run: z.boolean().default(false),
    /** Ticket channels that get an auto-reply, each with the template set it uses (and its own dry run). */
    channels: z
      .record(
        z.string().min(1),
        z.strictObject({ template: z.string().min(1), dry_run: z.boolean().optional() }),
      )
      .default({ email: { template: 'acknowledgement' }, contact_form: { template: 'acknowledgement' } }),
    templates: z.record(z.string().min(1), templateSetSchema),
    /** What a missing template variable renders as. */
    fallbacks: z
      .strictObject({
        customer_first_name: z.string().default('there'),
        subject: z.string().default('your message'),
        next_opening: z.string().default('our next business day'),
      })
      .prefault({}),
    loop_guard: z
      .strictObject({
        /** Skip automatic mail: automated senders and auto-submitted, bulk or bounce headers. */
        enabled: z.boolean().default(true),
        automated_senders: z.array(z.string().min(1)).default(DEFAULT_AUTOMATED_SENDERS),
        blocked_addresses: z.array(z.string().min(3)).default([]),
        blocked_domains: z.array(z.string().min(1)).default([]),
        skip_tag: z.string().min(1).nullable().default('no-auto-reply'),
        /** At most one auto-reply per customer in this many minutes, across tickets; 0 turns it off. */
        cooldown_minutes: z.number().min(0).default(5),
      })
      .prefault({}),
    timing: z
      .strictObject({
        /** Wait this long, then reply only if no agent has answered meanwhile. */
        delay_seconds: z
          .number()
          .min(0)
          .max(7 * 24 * 3600)
          .default(0),
        /** An acknowledgement not sent within this many minutes of the ticket's creation is not sent late. */
        stale_after_minutes: z.number().positive().default(30),
        /** Gorgias sends a reply after accepting it: look this long after posting whether it was sent... */
        confirm_first_check_seconds: z.number().min(1).max(600).default(5),
        /** ...then less and less often, for at most this long; past it the outcome is `unconfirmed`. */
        confirm_within_minutes: z
          .number()
          .min(1)
          .max(24 * 60)
          .default(15),
      })
      .prefault({}),
    business_hours: businessHoursSchema.optional(),
    notes: z
      .strictObject({
        /** Also leave a note when the policy decides not to answer (never for tickets we already answered). */
        on_skip: z.boolean().default(true),
      })
      .prefault({}),
    failure: z
      .strictObject({
        /** Tag put on a ticket whose reply finally failed, so humans pick it up. */
        tag: z.string().min(1).default('auto-reply-failed'),
      })
      .prefault({}),
    catch_up: z
      .strictObject({
        /** A Temporal Schedule that finds tickets whose webhooks were lost and starts their workflows. */
        enabled: z.boolean().default(true),
        every_minutes: z
          .number()
          .int()
          .min(1)
          .max(24 * 60)
          .default(5),
      })
      .prefault({}),
  })
  .superRefine((policy, ctx) => {
    for (const [channel, { template }] of Object.entries(policy.channels)) {
      if (!(template in policy.templates)) {
        ctx.addIssue({
          code: 'custom',
          path: ['channels', channel, 'template'],
          message: `names template "${template}", which is not under "templates"`,
        });
      }
    }
  });

export type Policy = z.infer<typeof policySchema>;
