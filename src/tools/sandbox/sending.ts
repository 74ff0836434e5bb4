import { z } from 'zod';
import { messageDatetime } from './objects';

/**
 * Gorgias sends an outgoing message after answering its creation (docs/gorgias.md, "Sending is
 * asynchronous"): the answer has `sent_datetime: null`; `delayMs` later the message gets `sent_datetime`, or,
 * when one of its `source.to` addresses is in `failAddresses` (case-insensitive), `failed_datetime` and
 * `last_sending_error` instead. The error text is inferred; its `{"error": "<text>"}` shape is what the
 * helpdesk front-end reads (observed).
 */

export const sendingSchema = z.strictObject({
  delayMs: z.number().int().min(0),
  failAddresses: z.array(z.string().trim().min(1)),
});
export type SendingSettings = z.infer<typeof sendingSchema>;
export const sendingPatchSchema = sendingSchema.partial();
export type SendingPatch = z.infer<typeof sendingPatchSchema>;

export const DEFAULT_SENDING: SendingSettings = { delayMs: 300, failAddresses: [] };

/** What sending reads and fills on a message: the sandbox's own, or a replayed fixture's (replay.ts). */
export interface SendableMessage {
  source?: { to?: readonly { address: string }[] } | null;
  sent_datetime: string | null;
  failed_datetime: string | null;
  last_sending_error: { error: string } | null;
}

export class Outbox {
  private settings: SendingSettings;
  private readonly pending = new Set<NodeJS.Timeout>();

  constructor(
    private readonly initial: SendingSettings,
    private readonly now: () => number,
  ) {
    this.settings = structuredClone(initial);
  }

  current(): SendingSettings {
    return structuredClone(this.settings);
  }

  configure(patch: SendingPatch): void {
    const parsed = sendingPatchSchema.parse(patch);
    this.settings = {
      delayMs: parsed.delayMs ?? this.settings.delayMs,
      failAddresses: parsed.failAddresses ?? this.settings.failAddresses,
    };
  }

  /**
   * Sends `message` (the stored object, changed in place) after the delay. Whether it fails is decided now,
   * by the settings of the moment it was created. `datetime` writes the sent or failed time (default: as the
   * sandbox's messages have it).
   */
  send(message: SendableMessage, datetime: (epochMs: number) => string = messageDatetime): void {
    const failing = new Set(this.settings.failAddresses.map((a) => a.toLowerCase()));
    const bounced = (message.source?.to ?? []).find((to) => failing.has(to.address.toLowerCase()));
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      const at = datetime(this.now());
      if (bounced) {
        message.failed_datetime = at;
        message.last_sending_error = {
          error: `550 5.1.1 <${bounced.address}>: Recipient address rejected: user unknown.`,
        };
      } else {
        message.sent_datetime = at;
      }
    }, this.settings.delayMs);
    this.pending.add(timer);
  }

  /** Cancels every send still waiting and restores the settings the sandbox started with. */
  reset(): void {
    this.cancelPending();
    this.settings = structuredClone(this.initial);
  }

  cancelPending(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}
