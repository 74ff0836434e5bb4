import { describe, expect, it } from '@jest/globals';
import type { Tag, Ticket } from '../../src/tools/sandbox/objects';
import { newTicket, type SandboxApi, useSandbox } from '../support/sandbox-api';

/** Tags on sandbox tickets: added, replaced, removed and refused. */

describe('sandbox tags', () => {
  let api: SandboxApi;
  useSandbox({ rateLimit: false }, (opened) => ({ api } = opened));

  const namesOf = (answer: { data: { data: Tag[] } }) => answer.data.data.map((tag) => tag.name);

  it('adds tags with POST, keeping a tag added meanwhile, where a read-then-PUT of the ticket loses it', async () => {
    const ticket = await api.createTicket(newTicket({ tags: [{ name: 'vip' }] }));
    const read = await api.ticket(ticket.id); // the service reads the ticket...
    await api.raw.post(`/api/tickets/${ticket.id}/tags`, { names: ['urgent'] }); // ...an agent tags it...

    const added = await api.raw.post(`/api/tickets/${ticket.id}/tags`, { names: ['auto-replied'] });
    expect(added.status).toBe(201);
    expect(added.data).toMatchObject({ object: 'list', uri: `/api/tickets/${ticket.id}/tags` });
    expect(namesOf(added)).toEqual(['vip', 'urgent', 'auto-replied']);
    expect((await api.ticket(ticket.id)).tags.map((t) => t.name)).toEqual(['vip', 'urgent', 'auto-replied']);

    // The same change made by writing back what was read overwrites the agent's tag.
    const overwritten = await api.raw.put<Ticket>(`/api/tickets/${ticket.id}`, {
      tags: [...read.tags.map(({ name }) => ({ name })), { name: 'auto-replied' }],
    });
    expect(overwritten.data.tags.map((t) => t.name)).toEqual(['vip', 'auto-replied']);
  });

  it('adds by id, replaces with PUT, removes with DELETE, and lists with GET', async () => {
    const ticket = await api.createTicket(newTicket({ tags: [{ name: 'vip' }, { name: 'wismo' }] }));
    const [vip, wismo] = ticket.tags;
    const path = `/api/tickets/${ticket.id}/tags`;

    const again = await api.raw.post(path, { ids: [vip?.id], names: ['vip'] });
    expect(namesOf(again)).toEqual(['vip', 'wismo']); // no duplicates

    const replaced = await api.raw.put(path, { names: ['refund'], ids: [wismo?.id] });
    expect(replaced.status).toBe(200);
    expect(namesOf(replaced)).toEqual(['refund', 'wismo']);

    const removed = await api.raw.delete(path, { data: { names: ['wismo'] } });
    expect(removed.status).toBe(200);
    expect(namesOf(removed)).toEqual(['refund']);
    expect(namesOf(await api.raw.get(path))).toEqual(['refund']);
  });

  it('rejects unknown fields, an empty body and unknown tag ids with 400, and an unknown ticket with 404', async () => {
    const ticket = await api.createTicket();
    const path = `/api/tickets/${ticket.id}/tags`;
    const unknownField = await api.raw.post(path, { names: ['a'], tags: ['b'] });
    expect(unknownField.status).toBe(400);
    expect(unknownField.data.error.data).toEqual({ tags: ['Unknown field.'] });
    expect((await api.raw.post(path, {})).status).toBe(400);
    const unknownId = await api.raw.post(path, { ids: [424242] });
    expect(unknownId.status).toBe(400);
    expect(unknownId.data.error.data).toHaveProperty('ids');
    expect((await api.raw.post('/api/tickets/999999/tags', { names: ['a'] })).status).toBe(404);
    expect((await api.ticket(ticket.id)).tags).toEqual([]);
  });
});
