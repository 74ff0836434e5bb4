import fc from 'fast-check';

/**
 * Generated webhook deliveries for the fuzz tests, each with the verdict the intake's documented contract gives
 * it: in process against the parser and the token check (test/unit/delivery.test.ts), and over HTTP against
 * the whole intake (test/integration/hostile-input.test.ts).
 */

/** One piece of a generated request, and whether the intake's documented contract accepts it. */
export interface Part<T> {
  value: T;
  valid: boolean;
}
const part = <T>(value: T, valid: boolean): Part<T> => ({ value, valid });

const TRIGGERS = ['ticket-created', 'ticket-updated', 'ticket-message-created'];
const printable = (max: number) => fc.stringMatching(new RegExp(`^[\\x20-\\x7e]{0,${max}}$`));

/** How a generated delivery spells its ticket id; `id` is the fresh id of the run. */
const ticketIdForm: fc.Arbitrary<Part<(id: number) => unknown>> = fc.oneof(
  fc.constant(part((id: number) => id, true)),
  fc.constant(part((id: number) => String(id), true)),
  fc.constant(part((id: number) => -id, false)),
  fc.constant(part(() => 0, false)),
  fc.constant(part((id: number) => id + 0.25, false)),
  fc.constant(part((id: number) => `${id}.5`, false)),
  fc.constant(part((id: number) => [id], false)),
  fc.constant(part(() => null, false)),
  fc.constant(part(() => 2 ** 60, false)),
  fc.constant(part((id: number) => ({ value: id }), false)),
  fc.string({ maxLength: 12 }).map((junk) => part((id: number) => `${id}${junk}x`, false)),
  fc.string({ unit: 'binary', maxLength: 12 }).map((junk) => part((id: number) => `${junk}-${id}`, false)),
);

/** A body built around the ticket id: the small template, the whole context, or neither. */
const bodyShape: fc.Arbitrary<Part<(ticketId: unknown) => unknown>> = fc.oneof(
  fc.constant(part((ticketId: unknown) => ({ ticket_id: ticketId }), true)),
  fc.constant(part((ticketId: unknown) => ({ ticket: { id: ticketId, subject: 'x' } }), true)),
  fc
    .dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 })
    .filter(
      (extra) =>
        !['ticket_id', 'ticket', 'event', 'message', '__proto__'].some((k) => Object.hasOwn(extra, k)),
    )
    .map((extra) => part((ticketId: unknown) => ({ ...extra, ticket_id: ticketId }), true)),
  fc.constant(part((ticketId: unknown) => [{ ticket_id: ticketId }], false)),
  fc.constant(part((ticketId: unknown) => ({ ticketId }), false)),
  fc.constant(part((ticketId: unknown) => ({ ticket: ticketId }), false)),
);

const eventPart: fc.Arbitrary<Part<string>> = fc.oneof(
  fc.constant(part('', true)),
  fc.constantFrom(...TRIGGERS).map((t) => part(`?event=${t}`, true)),
  printable(20)
    .filter((t) => !TRIGGERS.includes(t))
    .map((t) => part(`?event=${encodeURIComponent(t)}`, false)),
);

const authPart = (secret: string): fc.Arbitrary<Part<string | undefined>> =>
  fc.oneof(
    fc.constant(part<string | undefined>(`Bearer ${secret}`, true)),
    fc.constant(part<string | undefined>(`bearer  ${secret}`, true)),
    fc.constant(part<string | undefined>(undefined, false)),
    printable(40).map((h) => part<string | undefined>(h, false)),
    printable(30).map((t) => part<string | undefined>(`Bearer ${t}`, t === secret)),
  );

const contentTypePart: fc.Arbitrary<Part<string | undefined>> = fc.oneof(
  fc.constant(part<string | undefined>('application/json', true)),
  fc.constant(part<string | undefined>('application/json; charset=utf-8', true)),
  fc.constant(part<string | undefined>(undefined, false)),
  fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'text/html').map((t) => part(t, false)),
);

/**
 * Either a delivery built from parts with a known verdict, or arbitrary bytes that claim to be JSON, from a
 * sender that may or may not know `secret`.
 */
export const generatedRequest = (secret: string) =>
  fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('structured' as const),
        ticketId: ticketIdForm,
        shape: bodyShape,
        event: eventPart,
        auth: authPart(secret),
        contentType: contentTypePart,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('arbitrary' as const),
        body: fc.oneof(fc.json({ maxDepth: 4 }), fc.string({ unit: 'binary', maxLength: 200 })),
        auth: authPart(secret),
      }),
    },
  );
