import { describe, expect, it } from '@jest/globals';
import { composeReply, renderNote } from '../../src/reply/content';
import { ECHO_LIMITS, echoable } from '../../src/reply/customer-echo';
import { ticketFacts } from '../../src/reply/facts';
import type { NewTicket } from '../../src/gorgias/schemas';
import type { Policy } from '../../src/policy/schema';
import { contactFormTicket, type SampleTicketOptions } from '../../src/tools/sandbox/sample-ticket';
import { policyWith } from '../../harness/policy';
import { useSandboxAccount } from '../support/sandbox-account';

/**
 * The reply and the note a ticket gets, rendered from the ticket as Gorgias (here the sandbox) serves it, the way
 * the workflow's activities render them: the template for its language and the time of day, and customer text
 * escaped once. What is rendered is what is posted (test/integration/autoreply.test.ts checks it end to end).
 */

const account = useSandboxAccount();
// The sandbox keeps one customer per address, with the name it was first given: one address per ticket.
let customers = 0;
const newCustomer = () => `customer${++customers}@example.org`;
const TRACE = 'http://localhost:8233/namespaces/default/workflows/gorgias-ticket-1';

async function render(
  options: SampleTicketOptions,
  overrides: Partial<NewTicket> = {},
  { policy = policyWith(), now = new Date() }: { policy?: Policy; now?: Date } = {},
) {
  const seeded = await account.seedTicket({ customerEmail: newCustomer(), ...options }, overrides);
  const ticket = ticketFacts(await account.gorgias.getTicket(seeded));
  const reply = composeReply(ticket, policy, now);
  const to = ticket.customer?.email ?? '';
  const note = renderNote(
    { kind: 'replied', to, sentAt: now.toISOString(), replyMessageId: 7, reply },
    TRACE,
  );
  return { reply, note };
}

/** A customer whose name, as Gorgias has it, is exactly `name` (first name included). */
const named = (name: string, email = newCustomer()): [SampleTicketOptions, Partial<NewTicket>] => [
  { customerEmail: email, customerName: name },
  { customer: { email, name, firstname: name } },
];

/** The tag names in an HTML string. */
const tagsIn = (html: string) =>
  new Set([...html.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => m[1]?.toLowerCase()));
const tagsBeyond = (html: string, allowed: string[]) =>
  [...tagsIn(html)].filter((tag) => !allowed.includes(tag ?? ''));

describe('customer text in the reply and the note', () => {
  it('a customer named <script>alert(1)</script> is greeted with that text, never with markup', async () => {
    const name = '<script>alert(1)</script>';
    const subject = '"Tom & Jerry" <b>bold</b> <img src=x onerror=alert(1)>';
    const [options, overrides] = named(name);
    const { reply, note } = await render({ ...options, subject }, overrides);

    // Plain text carries the customer's words exactly.
    expect(reply.bodyText).toContain(`Hi ${name},`);
    expect(reply.subject).toBe(`Re: ${subject}`);
    // HTML shows the same words, escaped once.
    expect(reply.bodyHtml).toContain('Hi &lt;script&gt;alert(1)&lt;/script&gt;,');
    expect(note.bodyHtml).toContain(
      '&quot;Tom &amp; Jerry&quot; &lt;b&gt;bold&lt;/b&gt; &lt;img src=x onerror=alert(1)&gt;',
    );
    expect(note.bodyHtml).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // Only the service's own tags.
    expect(tagsBeyond(reply.bodyHtml, ['p', 'br'])).toEqual([]);
    expect(tagsBeyond(note.bodyHtml, ['a', 'b', 'blockquote', 'br', 'p'])).toEqual([]);
  });

  it('text that already looks escaped or like a template is shown as typed, not decoded or rendered', async () => {
    const name = 'Tom&amp;Jerry{{ticket_id}}';
    const subject = "It's 5 > 3 &lt; {{{customer_name}}}";
    const [options, overrides] = named(name);
    const { reply, note } = await render({ ...options, subject }, overrides);

    expect(reply.bodyText).toContain(`Hi ${name},`);
    expect(reply.subject).toBe(`Re: ${subject}`);
    expect(reply.bodyHtml).toContain('Hi Tom&amp;amp;Jerry{{ticket_id}},');
    expect(note.bodyHtml).toContain('It&#39;s 5 &gt; 3 &amp;lt; {{{customer_name}}}');
  });
});

describe('the template for the ticket', () => {
  it('replies in the ticket language, falling back to the default', async () => {
    const french = await render({ customerName: 'Élodie Martin' }, { language: 'fr' });
    expect(french.reply.bodyText).toContain('Bonjour Élodie,');
    expect(french.reply.subject).toBe('Re : Where is my order #1042?');
    expect(french.reply.template).toBe('acknowledgement/fr');

    const german = await render({ customerName: 'Jonas Weber' }, { language: 'de' });
    expect(german.reply.bodyText).toContain('Hi Jonas,');
    expect(german.reply.template).toBe('acknowledgement');
  });

  it('outside business hours it uses the outside-hours template and says when the team is back', async () => {
    const sundayEvening = new Date('2026-11-29T19:00:00Z'); // Sunday 20:00 in Paris
    const policy = policyWith({
      business_hours: {
        timezone: 'Europe/Paris',
        weekly: { monday: ['09:00-17:00'], tuesday: ['09:00-17:00'] },
        holidays: ['2026-11-30'],
      },
    });
    const { reply, note } = await render({}, {}, { policy, now: sundayEvening });
    // Monday 30 November is a holiday: the next opening is Tuesday.
    expect(reply.bodyText).toContain(
      'Our team is away right now; we will answer from Tuesday 1 December, 09:00',
    );
    expect(note.bodyText).toContain('template acknowledgement/outside-hours');
  });

  it('before a range over midnight opens, the outside-hours reply says when it opens that evening', async () => {
    const fridayEvening = new Date('2026-11-27T20:00:00Z'); // Friday 21:00 in Paris
    const policy = policyWith({
      business_hours: { timezone: 'Europe/Paris', weekly: { friday: ['22:00-02:00'] } },
    });
    const { reply } = await render({}, {}, { policy, now: fridayEvening });
    expect(reply.bodyText).toContain('we will answer from Friday 27 November, 22:00');
  });
});

describe("the customer's words in a reply to an address nobody verified", () => {
  const SPAM_SUBJECT =
    'You won! Claim at https://evil.example/claim?x=1 or www.spam.example, mail prize@evil.example, ' +
    'see bit.ly/abc or evil\u3002example — offer ends soon, tell everyone you know about it today';
  // The form makes its first word the first name: a link, so the greeting falls back.
  const SPAM_NAME = 'www.evil.example\u202e Sam';

  it.each([
    ['https://evil.example/claim?x=1', ''],
    ['see www.spam.example now', 'see now'],
    ['write to prize@evil.example', 'write to'],
    ['bit.ly/abc and evil.example', 'and'],
    ['evil\u3002example or evil\uff0eexample', 'or'],
    ['Ma commande n° 1042 du 3.12.2026', 'Ma commande n° 1042 du 3.12.2026'],
    ['Mr.Smith', ''],
  ])('"%s" is repeated as "%s" on a contact form', (text, echoed) => {
    expect(echoable(text, false, 60)).toBe(echoed);
  });

  it('keeps links on email, drops hidden characters everywhere, and clips at a word', () => {
    expect(echoable('Order from shop.example', true, 60)).toBe('Order from shop.example');
    expect(echoable('a\u202eb\u200bc\nd', true, 60)).toBe('a b c d');
    expect(echoable('one two three four five six', false, 14)).toBe('one two three…');
    expect([...echoable('x'.repeat(10_000), true, 150)]).toHaveLength(150);
  });

  it('a contact form: no link, address or long line of theirs in the subject, the greeting or the note', async () => {
    const email = newCustomer();
    const form = contactFormTicket({ customerEmail: email, customerName: SPAM_NAME, subject: SPAM_SUBJECT });
    const ticket = ticketFacts(
      await account.gorgias.getTicket((await account.gorgias.createTicket(form)).id),
    );
    const reply = composeReply(ticket, policyWith(), new Date());
    for (const text of [reply.subject, reply.bodyText, reply.bodyHtml, ticket.replyTo?.name ?? '']) {
      expect(text).not.toMatch(/evil|spam\.|bit\.ly|@|https?:|www/);
    }
    expect(reply.subject).toBe('Re: You won! Claim at or mail see or — offer ends soon, tell…');
    expect([...reply.subject].length).toBeLessThanOrEqual('Re: '.length + ECHO_LIMITS.unverified.subject);
    expect(reply.bodyText).toContain('Hi there,');
    expect(ticket.replyTo?.name).toBe('Sam');
  });

  it('an email keeps the words of its subject, clipped to one line', async () => {
    const { reply } = await render({ subject: `${SPAM_SUBJECT} ${'and more '.repeat(50)}` });
    expect(reply.subject).toContain('https://evil.example/claim?x=1');
    expect([...reply.subject].length).toBeLessThanOrEqual('Re: '.length + ECHO_LIMITS.verified.subject);
  });
});

describe('the subject of the reply', () => {
  it.each<[string, string, string]>([
    ['Re: Delivery', 'en', 'Re: Delivery'],
    ['RE: RE: re:Delivery', 'en', 'Re: Delivery'],
    ['Re : Livraison', 'fr', 'Re : Livraison'],
    ['Re: Re : RE :Livraison', 'fr', 'Re : Livraison'],
    ['AW: WG: Lieferung', 'de', 'Re: Lieferung'],
    ['SV: Leverans', 'en', 'Re: Leverans'],
    ['Fwd: Re: Fw: Delivery', 'en', 'Re: Delivery'],
    ['Re[2]: Re(3): Delivery', 'en', 'Re: Delivery'],
    ['回复：配送', 'en', 'Re: 配送'],
    ['Delivery: Re: late', 'en', 'Re: Delivery: Re: late'],
  ])('"%s" (language %s) gets one reply prefix: "%s"', async (subject, language, expected) => {
    const { reply } = await render({ subject }, { language });
    expect(reply.subject).toBe(expected);
  });

  it("a subject that is only prefixes falls back to the policy's subject", async () => {
    const { reply } = await render({ subject: 'Re: RE: Fwd:' }, { subject: 'Re: RE: Fwd:' });
    expect(reply.subject).toBe('Re: your message');
  });
});

describe('the note when a ticket goes back to humans', () => {
  it('an acknowledgement past the staleness cutoff is not sent: the note says so and names the tag', () => {
    const note = renderNote(
      { kind: 'failed', reason: 'stale', error: 'not sent within 30 minutes', tag: 'auto-reply-failed' },
      TRACE,
    );
    expect(note.bodyText).toContain('Auto-reply failed (stale): please answer this ticket by hand.');
    expect(note.bodyText).toContain('Tagged "auto-reply-failed".');
    expect(note.bodyText).toContain(`Trace: ${TRACE}`);
  });
});
