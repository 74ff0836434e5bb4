/**
 * What of the customer's own words a reply may repeat: their name (greeting, To header) and their subject
 * (`Re: {{subject}}`). On a channel where anyone can type any address (a contact form, the help center, chat,
 * the API), the reply goes to an inbox nobody proved is theirs, so those words could be anyone's message to
 * anyone, sent from the shop's own address: there they are repeated without links or addresses, on one
 * short line (docs/guarantees.md, "Hostile input: the shop as a relay"). Email is answered where the mail
 * came from; a From can be forged too, so the echo is clipped there as well, links kept.
 */

/** Channels whose customer address wrote to us (email). Every other channel's address was typed by someone. */
const VERIFIED_CHANNELS = new Set(['email']);

/** Characters an echo of a subject keeps: enough for any real subject, too few for a message of one's own. */
export const ECHO_LIMITS = {
  verified: { subject: 150, name: 60 },
  unverified: { subject: 60, name: 30 },
} as const;

/**
 * Whether the customer's address on this ticket came from them writing (email opened it and their latest
 * message is email), not from someone typing it.
 */
export function isVerifiedChannel(ticketChannel: string | null, messageChannel: string | null): boolean {
  return VERIFIED_CHANNELS.has(ticketChannel ?? '') && VERIFIED_CHANNELS.has(messageChannel ?? '');
}

// Control and format characters (invisible ones, direction overrides): text that reads one way and is another.
const HIDDEN = /[\p{Cc}\p{Cf}]/gu;
// A dot as mail clients link on: ASCII, ideographic, full-width and half-width.
const DOT = '[.\u3002\uff0e\uff61]';
/**
 * A word that a mail client would turn into a link or an address: a scheme (`https://`, `mailto:`), `www.`,
 * an `@`, or a host name (`evil.example`, `bit.ly/x`: a dot, then at least two letters).
 */
const LINK_LIKE = new RegExp(
  `\\S*(?:[a-z][a-z0-9+.-]*:\\/\\/|www${DOT}|@|[\\p{L}\\p{N}-]${DOT}\\p{L}{2,})\\S*`,
  'giu',
);

/**
 * The customer's text as a reply may repeat it: hidden characters dropped, whitespace on one line, at most
 * `limit` characters (cut at a word, with "…"); on an unverified channel, every link-like word dropped.
 */
export function echoable(text: string, verified: boolean, limit: number): string {
  let line = text.slice(0, 4 * limit + 1000).replace(HIDDEN, ' ');
  if (!verified) line = line.replace(LINK_LIKE, ' ');
  line = line.replace(/\s+/g, ' ').trim();
  const chars = [...line];
  if (chars.length <= limit) return line;
  const cut = chars.slice(0, limit - 1).join('');
  const atWord = cut.lastIndexOf(' ');
  return `${(atWord > limit / 2 ? cut.slice(0, atWord) : cut).trimEnd()}…`;
}
