import { describe, expect, it } from '@jest/globals';
import type { AxiosInstance } from 'axios';
import type { NewMessage } from '../../src/gorgias/schemas';
import type { RunningSandbox } from '../../src/tools/sandbox';
import {
  apiFor,
  clientFor,
  emailReply,
  FIRST_EMAIL_INTEGRATION_ID,
  internalNote,
  MESSAGE_DATETIME,
  newTicket,
  type SandboxApi,
  sleep,
  SUPPORT,
  useSandbox,
  withSandbox,
} from '../support/sandbox-api';

/** Messages posted on sandbox tickets: what is refused, and how sending (asynchronous, failing, imported) goes. */

describe('sandbox messages and sending', () => {
  let sandbox: RunningSandbox;
  let api: SandboxApi;
  let raw: AxiosInstance;
  useSandbox({ rateLimit: false, sendDelayMs: 20 }, (opened) => ({ sandbox, api, raw } = opened));

  it('rejects a message with an unknown field, naming the field', async () => {
    const ticket = await api.createTicket();
    const answer = await raw.post(`/api/tickets/${ticket.id}/messages`, { ...internalNote, mood: 'happy' });
    expect(answer.status).toBe(400);
    expect(answer.data).toEqual({
      error: { msg: expect.stringContaining('mood'), data: { mood: ['Unknown field.'] } },
    });

    const viaClient = clientFor(sandbox).createMessage(ticket.id, {
      ...internalNote,
      mood: 'happy',
    } as NewMessage);
    await expect(viaClient).rejects.toMatchObject({ kind: 'permanent', status: 400 });
    expect(sandbox.messagesOf(ticket.id)).toHaveLength(2);
  });

  it('rejects an outgoing reply without a receiver, and an email without recipients', async () => {
    const ticket = await api.createTicket();
    const customerId = ticket.customer.id;

    const noReceiver = await raw.post(`/api/tickets/${ticket.id}/messages`, {
      ...emailReply(customerId),
      receiver: undefined,
    });
    expect(noReceiver.status).toBe(400);
    expect(noReceiver.data.error.data).toHaveProperty('receiver');

    const noRecipients = emailReply(customerId, {
      source: { type: 'email', from: { address: SUPPORT } },
    });
    const answer = await raw.post(`/api/tickets/${ticket.id}/messages`, noRecipients);
    expect(answer.status).toBe(400);
    expect(answer.data.error.data).toHaveProperty(['source.to']);

    const noBody = await raw.post(`/api/tickets/${ticket.id}/messages`, {
      ...internalNote,
      body_text: undefined,
    });
    expect(noBody.status).toBe(400);
    expect(noBody.data.error.data).toHaveProperty('body_text');

    expect(sandbox.messagesOf(ticket.id)).toHaveLength(2);
  });

  it('sends a reply after answering: sent_datetime null in the answer, filled in after the delay', async () => {
    const ticket = await api.createTicket();
    sandbox.setSending({ delayMs: 150 });
    const reply = await api.createMessage(ticket.id, emailReply(ticket.customer.id));

    expect(reply).toMatchObject({
      ticket_id: ticket.id,
      from_agent: true,
      public: true,
      external_id: 'autoreply:1',
      integration_id: FIRST_EMAIL_INTEGRATION_ID,
      sent_datetime: null,
      failed_datetime: null,
    });
    await sleep(50);
    expect((await api.message(ticket.id, reply.id)).sent_datetime).toBeNull();
    await sleep(200);
    const sent = await api.message(ticket.id, reply.id);
    expect(sent.sent_datetime).toMatch(MESSAGE_DATETIME);
    expect(sent.receiver).toMatchObject({ id: ticket.customer.id, email: 'dana.lee@example.org' });

    const after = await api.ticket(ticket.id);
    expect(after.messages.map((m) => m.id)).toEqual([...ticket.messages.map((m) => m.id), reply.id]);
    expect(after.last_message_datetime).toBe(`${reply.created_datetime}+00:00`);
  });

  it('fails sends to the chosen recipients: failed_datetime and last_sending_error, never sent', async () => {
    const ticket = await api.createTicket();
    const control = await raw.put('/_sandbox/sending', {
      delayMs: 10,
      failAddresses: ['DANA.LEE@example.org'],
    });
    expect(control.data).toEqual({ delayMs: 10, failAddresses: ['DANA.LEE@example.org'] });
    expect((await raw.put('/_sandbox/sending', { failAdresses: [] })).status).toBe(400);

    const reply = await api.createMessage(ticket.id, emailReply(ticket.customer.id));
    expect(reply).toMatchObject({ sent_datetime: null, failed_datetime: null, last_sending_error: null });
    await sleep(60);
    const failed = await api.message(ticket.id, reply.id);
    expect(failed).toMatchObject({
      sent_datetime: null,
      failed_datetime: expect.stringMatching(MESSAGE_DATETIME),
      last_sending_error: { error: expect.stringContaining('dana.lee@example.org') },
    });

    // Other recipients are unaffected.
    const other = await api.createMessage(
      ticket.id,
      emailReply(ticket.customer.id, {
        source: { type: 'email', from: { address: SUPPORT }, to: [{ address: 'x@example.org' }] },
      }),
    );
    await sleep(60);
    expect((await api.message(ticket.id, other.id)).sent_datetime).toMatch(MESSAGE_DATETIME);
  });

  it('takes failing recipients from the options, and restores them on reset', async () => {
    await withSandbox(
      { rateLimit: false, sendDelayMs: 0, failSendsTo: ['dana.lee@example.org'] },
      async (other) => {
        const otherApi = apiFor(other);
        const ticket = await otherApi.createTicket();
        other.setSending({ failAddresses: [] });
        other.reset();
        expect(other.sending()).toEqual({ delayMs: 0, failAddresses: ['dana.lee@example.org'] });
        const again = await otherApi.createTicket();
        const reply = await otherApi.createMessage(again.id, emailReply(again.customer.id));
        await sleep(30);
        expect((await otherApi.message(again.id, reply.id)).failed_datetime).not.toBeNull();
        expect(ticket.id).toBeLessThan(again.id);
      },
    );
  });

  it('marks internal notes and received messages sent at once', async () => {
    const ticket = await api.createTicket();
    const note = await api.createMessage(ticket.id, internalNote);
    expect(note).toMatchObject({ channel: 'internal-note', public: false, from_agent: true });
    expect(note.sent_datetime).toBe(note.created_datetime);
    expect(ticket.messages[0]?.sent_datetime).toBe(ticket.messages[0]?.created_datetime);
  });

  it('keeps the public flag a note is posted with: private only when it says so', async () => {
    const ticket = await api.createTicket();
    const unsaid: NewMessage = { ...internalNote };
    delete unsaid.public;
    expect((await api.createMessage(ticket.id, internalNote)).public).toBe(false);
    expect((await api.createMessage(ticket.id, unsaid)).public).toBe(true);
  });

  it("takes mail from any of a customer's addresses as theirs, keeping the address it came from", async () => {
    const main = 'dana.lee@example.org';
    const other = 'Dana.Lee@Studio.example';
    const first = await api.createTicket();
    const customer = sandbox.addCustomerAddress(main, other);
    expect(customer.channels.map((c) => [c.address, c.preferred])).toEqual([
      [main, true],
      [other, false],
    ]);
    // Adding it again changes nothing.
    expect(sandbox.addCustomerAddress(main, other.toLowerCase()).channels).toHaveLength(2);

    const fromOther = newTicket({ customer: { email: other.toLowerCase() } });
    fromOther.messages[0]!.source!.from = { address: other };
    const second = await api.createTicket(fromOther);
    expect(second.customer.id).toBe(first.customer.id);
    expect(second.customer.channels.map((c) => c.address)).toEqual([main, other]);
    const [message] = second.messages;
    expect(message?.source?.from?.address).toBe(other);
    expect(message?.sender).toMatchObject({ id: first.customer.id, email: main });
  });

  it('records a message with sent_datetime as an import, never sending it', async () => {
    const ticket = await api.createTicket();
    const imported = await api.createMessage(
      ticket.id,
      emailReply(ticket.customer.id, {
        sent_datetime: '2024-01-02T03:04:05+00:00',
        headers: { 'X-Test': 'yes' },
      }),
    );
    expect(imported.sent_datetime).toBe('2024-01-02T03:04:05.000000');
    expect(imported.headers).toEqual({ 'X-Test': 'yes' });
  });

  it('answers one message of a ticket, and 404 for a message of another ticket', async () => {
    const one = await api.createTicket();
    const two = await api.createTicket();
    const messageId = one.messages[0]?.id ?? 0;
    expect(await api.message(one.id, messageId)).toEqual(one.messages[0]);
    const elsewhere = await raw.get(`/api/tickets/${two.id}/messages/${messageId}`);
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.data).toEqual({ error: { msg: expect.any(String) } });
    expect((await raw.get(`/api/tickets/${one.id}/messages/999`)).status).toBe(404);
    expect((await raw.get(`/api/tickets/999999/messages/${messageId}`)).status).toBe(404);
  });

  it("runs a write's beforeSend just before the request, and sends nothing when it fails", async () => {
    const ticket = await api.createTicket();
    const client = clientFor(sandbox);
    const count = async () => (await client.getTicket(ticket.id)).messages.length;
    const before = await count();
    const confirmed: number[] = [];
    await client.createMessage(ticket.id, internalNote, {
      beforeSend: async () => {
        confirmed.push(await count());
      },
    });
    // Called once, before the message existed.
    expect(confirmed).toEqual([before]);
    expect(await count()).toBe(before + 1);

    const refused = new Error('Temporal does not confirm this attempt');
    const sent = client.createMessage(ticket.id, internalNote, {
      beforeSend: async () => {
        throw refused;
      },
    });
    await expect(sent).rejects.toBe(refused);
    expect(await count()).toBe(before + 1);
  });
});
