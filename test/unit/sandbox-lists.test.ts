import { describe, expect, it } from '@jest/globals';
import type { AxiosInstance } from 'axios';
import type { RunningSandbox } from '../../src/tools/sandbox';
import type { Message, Ticket } from '../../src/tools/sandbox/objects';
import {
  clientFor,
  internalNote,
  type SandboxApi,
  TICKET_DATETIME,
  useSandbox,
} from '../support/sandbox-api';

/** The sandbox's lists: cursor pages of messages and tickets, trashed tickets. */

describe('sandbox lists and pages', () => {
  let sandbox: RunningSandbox;
  let api: SandboxApi;
  let raw: AxiosInstance;
  useSandbox({ rateLimit: false, sendDelayMs: 20 }, (opened) => ({ sandbox, api, raw } = opened));

  it('pages through more than 200 messages with cursors, newest first, stopping at the first match', async () => {
    const ticket = await api.createTicket();
    const created = ticket.messages.map((m) => m.id);
    for (let i = 0; i < 230; i++) {
      created.push((await api.createMessage(ticket.id, { ...internalNote, body_text: `note ${i}` })).id);
    }
    const client = clientFor(sandbox);
    const pagesTo = async (id: number | undefined) => {
      let pages = 0;
      const found = await client.findMessage(
        ticket.id,
        (m) => m.id === id,
        () => pages++,
      );
      return { id: found?.id ?? null, pages };
    };
    // The newest is on the first page; the customer's first message on the last of three; a stranger on none.
    expect(await pagesTo(created[created.length - 1])).toEqual({ id: created[created.length - 1], pages: 1 });
    expect(await pagesTo(created[0])).toEqual({ id: created[0], pages: 3 });
    expect(await pagesTo(-1)).toEqual({ id: null, pages: 3 });

    // Newest first by default; prev_cursor leads back to the page before.
    const first = await raw.get('/api/messages', { params: { ticket_id: ticket.id, limit: 50 } });
    expect(first.data).toMatchObject({ object: 'list', meta: { prev_cursor: null } });
    expect(first.data.data[0].id).toBe(created[created.length - 1]);
    const second = await raw.get('/api/messages', {
      params: { ticket_id: ticket.id, limit: 50, cursor: first.data.meta.next_cursor },
    });
    expect(second.data.data[0].id).toBe(created[created.length - 51]);
    const back = await raw.get('/api/messages', {
      params: { ticket_id: ticket.id, limit: 50, cursor: second.data.meta.prev_cursor },
    });
    expect(back.data.data.map((m: { id: number }) => m.id)).toEqual(
      first.data.data.map((m: { id: number }) => m.id),
    );
  });

  it('lists only the given ticket, and rejects a limit outside 1–100 or a bad cursor', async () => {
    const one = await api.createTicket();
    await api.createTicket();
    const ofOne = await raw.get('/api/messages', { params: { ticket_id: one.id } });
    expect(ofOne.data.data.map((m: Message) => m.ticket_id)).toEqual([one.id, one.id]);
    expect((await raw.get('/api/messages')).data.data).toHaveLength(4);

    for (const limit of [0, 101]) {
      const answer = await raw.get('/api/messages', { params: { limit } });
      expect(answer.status).toBe(400);
      expect(answer.data.error.data).toHaveProperty('limit');
    }
    expect((await raw.get('/api/messages', { params: { cursor: 'garbage' } })).status).toBe(400);
  });

  it('answers the deprecated ticket messages endpoint as a list, oldest first', async () => {
    const ticket = await api.createTicket();
    const note = await api.createMessage(ticket.id, internalNote);
    const answer = await raw.get(`/api/tickets/${ticket.id}/messages`);
    expect(answer.status).toBe(200);
    expect(answer.data).toEqual({
      object: 'list',
      uri: `/api/tickets/${ticket.id}/messages`,
      data: [...ticket.messages, note].map((m) => expect.objectContaining({ id: m.id })),
      meta: { next_cursor: null, prev_cursor: null },
    });
  });

  it('lists tickets newest first with cursors', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await api.createTicket()).id);
    const first = await raw.get('/api/tickets', { params: { limit: 3 } });
    expect(first.data).toMatchObject({ object: 'list', uri: '/api/tickets?limit=3' });
    expect(first.data.data.map((t: { id: number }) => t.id)).toEqual(ids.slice(2).reverse());
    const rest = await raw.get('/api/tickets', { params: { limit: 3, cursor: first.data.meta.next_cursor } });
    expect(rest.data.data.map((t: { id: number }) => t.id)).toEqual(ids.slice(0, 2).reverse());
    expect(rest.data.meta.next_cursor).toBeNull();
    const ascending = await raw.get('/api/tickets', { params: { order_by: 'created_datetime:asc' } });
    expect(ascending.data.data.map((t: { id: number }) => t.id)).toEqual(ids);
  });

  it('lists trashed tickets unless trashed=false, and still answers a trashed ticket', async () => {
    const kept = await api.createTicket();
    const trashed = await api.createTicket();
    const viaControl = await raw.post<Ticket>(`/_sandbox/tickets/${trashed.id}/trash`);
    expect(viaControl.status).toBe(200);
    expect(viaControl.data.trashed_datetime).toMatch(TICKET_DATETIME);
    expect((await raw.post('/_sandbox/tickets/999999/trash')).status).toBe(404);

    expect((await api.ticket(trashed.id)).trashed_datetime).toBe(viaControl.data.trashed_datetime);
    const idsOf = async (params: Record<string, string>) =>
      (await raw.get('/api/tickets', { params })).data.data.map((t: Ticket) => t.id);
    expect(await idsOf({})).toEqual([trashed.id, kept.id]);
    expect(await idsOf({ trashed: 'false' })).toEqual([kept.id]);
    expect(await idsOf({ trashed: 'true' })).toEqual([trashed.id]);
    expect((await raw.get('/api/tickets', { params: { trashed: 'maybe' } })).status).toBe(400);
    expect((await raw.get('/api/tickets', { params: { deleted: 'true' } })).status).toBe(400);

    expect(sandbox.trashTicket(kept.id)?.trashed_datetime).toMatch(TICKET_DATETIME);
    expect(await idsOf({ trashed: 'false' })).toEqual([]);
  });
});
