import { describe, expect, it } from '@jest/globals';
import { sampleTicket } from '../../src/sandbox/sample-ticket';
import { useTestStack } from '../support/stack';

const ctx = useTestStack();

/** Seeds a ticket whose customer and subject say what the test wants, delivers it and returns what was posted. */
async function replyTo(customerName: string, subject: string) {
  const email = `customer-${Math.random().toString(36).slice(2)}@example.org`;
  const ticket = sampleTicket({ customerEmail: email, customerName, subject });
  const ticketId = await ctx.stack.seedTicket(
    {},
    { ...ticket, customer: { email, name: customerName, firstname: customerName } },
  );
  await ctx.stack.deliver({ ticket_id: ticketId }, { event: 'ticket-created' });
  expect(await ctx.stack.result(ticketId)).toMatchObject({ outcome: 'replied' });
  const { replies, notes } = ctx.stack.posted(ticketId);
  expect(replies).toHaveLength(1);
  expect(notes).toHaveLength(1);
  return { reply: replies[0] as Record<string, string>, note: notes[0] as Record<string, string> };
}

/** The tag names in an HTML string. */
const tagsIn = (html: string) =>
  new Set([...html.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => m[1]?.toLowerCase()));

describe('customer text in the reply and the note', () => {
  it('a customer named <script>alert(1)</script> is greeted with that text, never with markup', async () => {
    const name = '<script>alert(1)</script>';
    const subject = '"Tom & Jerry" <b>bold</b> <img src=x onerror=alert(1)>';
    const { reply, note } = await replyTo(name, subject);

    // Plain text carries the customer's words exactly.
    expect(reply.body_text).toContain(`Hi ${name},`);
    expect(reply.subject).toBe(`Re: ${subject}`);
    // HTML shows the same words, escaped once.
    expect(reply.body_html).toContain('Hi &lt;script&gt;alert(1)&lt;/script&gt;,');
    expect(note.body_html).toContain(
      '&quot;Tom &amp; Jerry&quot; &lt;b&gt;bold&lt;/b&gt; &lt;img src=x onerror=alert(1)&gt;',
    );
    expect(note.body_html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // Only the service's own tags.
    const onlyTags = (html: string | undefined, allowed: string[]) =>
      [...tagsIn(html ?? '')].filter((tag) => !allowed.includes(tag ?? ''));
    expect(onlyTags(reply.body_html, ['p', 'br'])).toEqual([]);
    expect(onlyTags(note.body_html, ['a', 'b', 'blockquote', 'br', 'p'])).toEqual([]);
  });

  it('text that already looks escaped or like a template is shown as typed, not decoded or rendered', async () => {
    const name = 'Tom&amp;Jerry{{ticket_id}}';
    const subject = "It's 5 > 3 &lt; {{{customer_name}}}";
    const { reply, note } = await replyTo(name, subject);

    expect(reply.body_text).toContain(`Hi ${name},`);
    expect(reply.subject).toBe(`Re: ${subject}`);
    expect(reply.body_html).toContain('Hi Tom&amp;amp;Jerry{{ticket_id}},');
    expect(note.body_html).toContain('It&#39;s 5 &gt; 3 &amp;lt; {{{customer_name}}}');
  });
});
