import { describe, expect, it, jest } from '@jest/globals';
import { decideFault, NO_FAULTS } from '../../src/tools/sandbox/faults';
import type { Message } from '../../src/tools/sandbox/objects';
import {
  apiFor,
  clientFor,
  emailReply,
  internalNote,
  newTicket,
  rawFor,
  sleep,
  withSandbox,
} from '../support/sandbox-api';

/** The sandbox's faults: how they are drawn, and what they do to requests over HTTP. */

describe('fault decisions', () => {
  it('draw nothing and change nothing when no fault is switched on', () => {
    const random = jest.fn(() => 0);
    expect(decideFault(NO_FAULTS, 'POST', random)).toEqual({ kind: 'answer', delayMs: 0, late: false });
    expect(random).not.toHaveBeenCalled();
  });

  it('pick the error status from the random draw and skip methods not selected', () => {
    const faults = {
      ...NO_FAULTS,
      errorRate: 0.5,
      errorStatuses: [500, 502, 503],
      latencyMs: 7,
      methods: ['POST' as const],
    };
    const draws = [0.1, 0.9];
    expect(decideFault(faults, 'POST', () => draws.shift() ?? 0)).toEqual({
      kind: 'fail',
      status: 503,
      delayMs: 7,
    });
    expect(decideFault(faults, 'POST', () => 0.6)).toEqual({ kind: 'answer', delayMs: 7, late: false });
    expect(decideFault(faults, 'GET', () => 0)).toEqual({ kind: 'answer', delayMs: 0, late: false });
  });

  it('hold a late commit for a delay drawn in [min, max], and reset after commit', () => {
    const lateCommit = { ...NO_FAULTS, lateCommitRate: 0.5, lateCommitMs: [100, 300] as [number, number] };
    const draws = [0.2, 0.5];
    expect(decideFault(lateCommit, 'POST', () => draws.shift() ?? 0)).toEqual({
      kind: 'late-commit',
      holdMs: 200,
    });
    expect(decideFault(lateCommit, 'POST', () => 0.7)).toEqual({ kind: 'answer', delayMs: 0, late: false });

    const reset = { ...NO_FAULTS, resetAfterCommitRate: 1, methods: ['POST' as const] };
    expect(decideFault(reset, 'POST', () => 0.3)).toEqual({ kind: 'reset-after-commit' });
    expect(decideFault(reset, 'GET', () => 0.3)).toEqual({ kind: 'answer', delayMs: 0, late: false });
  });
});

describe('sandbox faults', () => {
  it('with errorRate 1, answers the configured statuses and changes nothing', async () => {
    const draws = [0, 0.0, 0, 0.99];
    await withSandbox({ rateLimit: false, random: () => draws.shift() ?? 0 }, async (sandbox) => {
      const gorgias = clientFor(sandbox);
      const ticket = await apiFor(sandbox).createTicket();
      sandbox.setFaults({ errorRate: 1, errorStatuses: [500, 503] });
      const raw = rawFor(sandbox);

      const first = await raw.post(`/api/tickets/${ticket.id}/messages`, internalNote);
      const second = await raw.post(`/api/tickets/${ticket.id}/messages`, internalNote);
      expect([first.status, second.status]).toEqual([500, 503]);
      expect(first.data).toEqual({ error: { msg: expect.any(String) } });
      await expect(gorgias.createMessage(ticket.id, internalNote)).rejects.toMatchObject({
        kind: 'retryable',
      });

      expect(sandbox.messagesOf(ticket.id)).toHaveLength(2);
      expect(sandbox.stats()).toMatchObject({ faultsInjected: 3, messagesCreated: 2 });

      sandbox.setFaults({ errorRate: 0 });
      expect((await raw.post(`/api/tickets/${ticket.id}/messages`, internalNote)).status).toBe(201);
    });
  });

  it('applies faults only to the selected methods', async () => {
    await withSandbox({ rateLimit: false, faults: { errorRate: 1, methods: ['POST'] } }, async (sandbox) => {
      const raw = rawFor(sandbox);
      expect((await raw.get('/api/tickets')).status).toBe(200);
      expect((await raw.post('/api/tickets', newTicket())).status).toBeGreaterThanOrEqual(500);
    });
  });

  it('with a slow answer, commits the message before the client gives up', async () => {
    await withSandbox({ rateLimit: false }, async (sandbox) => {
      const ticket = await apiFor(sandbox).createTicket();
      sandbox.setFaults({ lateResponseRate: 1, lateResponseMs: 400 });
      const impatient = clientFor(sandbox, 100);

      const reply = emailReply(ticket.customer.id, { external_id: 'autoreply:late' });
      await expect(impatient.createMessage(ticket.id, reply)).rejects.toMatchObject({ kind: 'retryable' });
      expect(sandbox.messagesOf(ticket.id)).toEqual([
        expect.anything(),
        expect.anything(),
        expect.objectContaining({ external_id: 'autoreply:late' }),
      ]);
      expect(sandbox.stats()).toMatchObject({ lateResponses: 1, messagesCreated: 3 });

      // A patient client gets the answer, as it was when the message was created.
      const patient = await rawFor(sandbox).post<Message>(`/api/tickets/${ticket.id}/messages`, reply);
      expect(patient.data.sent_datetime).toBeNull();
    });
  });

  it('with a late commit, performs the request only after the client timed out and disconnected', async () => {
    await withSandbox({ rateLimit: false }, async (sandbox) => {
      const ticket = await apiFor(sandbox).createTicket();
      sandbox.setFaults({ lateCommitRate: 1, lateCommitMs: [300, 300], methods: ['POST'] });
      const impatient = clientFor(sandbox, 100);

      const reply = emailReply(ticket.customer.id, { external_id: 'autoreply:held' });
      await expect(impatient.createMessage(ticket.id, reply)).rejects.toMatchObject({ kind: 'retryable' });
      expect(sandbox.messagesOf(ticket.id)).toHaveLength(2); // not yet: the client knows nothing
      await sleep(300);
      expect(sandbox.messagesOf(ticket.id)).toEqual([
        expect.anything(),
        expect.anything(),
        expect.objectContaining({ external_id: 'autoreply:held' }),
      ]);
      expect(sandbox.stats()).toMatchObject({ lateCommits: 1, messagesCreated: 3 });

      // A patient client is answered once the request is performed; GETs are not held.
      const started = Date.now();
      const patient = await rawFor(sandbox).post(`/api/tickets/${ticket.id}/messages`, internalNote);
      expect(patient.status).toBe(201);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect((await rawFor(sandbox).get(`/api/tickets/${ticket.id}`)).status).toBe(200);
    });
  });

  it('with a reset after commit, performs the request and then drops the connection', async () => {
    await withSandbox({ rateLimit: false }, async (sandbox) => {
      const ticket = await apiFor(sandbox).createTicket();
      await rawFor(sandbox).put('/_sandbox/faults', { resetAfterCommitRate: 1, methods: ['POST'] });

      const reply = emailReply(ticket.customer.id, { external_id: 'autoreply:reset' });
      await expect(clientFor(sandbox).createMessage(ticket.id, reply)).rejects.toMatchObject({
        kind: 'retryable',
      });
      const raw = await rawFor(sandbox)
        .post(`/api/tickets/${ticket.id}/messages`, internalNote)
        .catch((err: { code?: string; message: string }) => err);
      expect(raw).toMatchObject({ code: 'ECONNRESET', message: 'socket hang up' });

      expect(sandbox.messagesOf(ticket.id)).toEqual([
        expect.anything(),
        expect.anything(),
        expect.objectContaining({ external_id: 'autoreply:reset' }),
        expect.objectContaining({ channel: 'internal-note', via: 'api' }),
      ]);
      expect(sandbox.stats()).toMatchObject({ resetsAfterCommit: 2, messagesCreated: 4 });
    });
  });

  it('reset drops held requests unperformed and closes their connections', async () => {
    await withSandbox({ rateLimit: false }, async (sandbox) => {
      const ticket = await apiFor(sandbox).createTicket();
      sandbox.setFaults({ lateCommitRate: 1, lateCommitMs: [60_000, 60_000] });
      const held = rawFor(sandbox)
        .post(`/api/tickets/${ticket.id}/messages`, internalNote)
        .catch((err: { code?: string }) => err);
      await sleep(50);
      sandbox.reset();
      expect(await held).toMatchObject({ code: 'ECONNRESET' });
      expect(sandbox.stats().messagesCreated).toBe(0);
      expect(sandbox.faults().lateCommitRate).toBe(0);
    });
  });

  it('delays every answer by latencyMs', async () => {
    await withSandbox({ rateLimit: false, faults: { latencyMs: 150 } }, async (sandbox) => {
      const started = Date.now();
      expect((await rawFor(sandbox).get('/api/tickets')).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });
  });

  it('reset restores the faults the sandbox started with', async () => {
    await withSandbox({ rateLimit: false }, async (sandbox) => {
      sandbox.setFaults({ errorRate: 1 });
      expect((await rawFor(sandbox).get('/api/tickets')).status).toBeGreaterThanOrEqual(500);
      sandbox.reset();
      expect((await rawFor(sandbox).get('/api/tickets')).status).toBe(200);
    });
  });
});
