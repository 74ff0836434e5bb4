import { isGrpcServiceError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { NamespaceNotFoundError } from '@temporalio/common';

/**
 * Why signal-with-start failed, classified once so the intake answers each kind the same way:
 * - `finished`: the ticket's workflow has already closed (REJECT_DUPLICATE); nothing more will be sent.
 * - `execution-limit`: the running workflow can take no more signals (or history); it reads the ticket from
 *   Gorgias anyway, so the delivery has nothing left to add. Retrying could never succeed.
 * - `unavailable`: Temporal is unreachable, slow or rate-limiting; a later retry may succeed.
 * - `misconfigured`: Temporal refuses the intake's requests (namespace, search attribute, credentials);
 *   retrying cannot help until an operator fixes the configuration.
 */
export type StartFailure =
  | { kind: 'finished' }
  | { kind: 'execution-limit' }
  | { kind: 'unavailable' }
  | { kind: 'misconfigured'; problem: Misconfiguration; message: string };

export type Misconfiguration =
  'namespace-not-found' | 'invalid-request' | 'permission-denied' | 'unauthenticated' | 'unsupported-request';

/** gRPC status codes (fixed by the protocol) that Temporal's frontend answers with. */
const GRPC = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  UNAUTHENTICATED: 16,
} as const;

/**
 * The per-execution limits, by the server's messages: since server 1.2x the signal limit
 * (`history.maximumSignalsPerExecution`) answers INVALID_ARGUMENT "exceeded workflow execution limit for
 * signal events" (older servers: RESOURCE_EXHAUSTED, same words); the history size/count and mutable-state
 * limits answer INVALID_ARGUMENT "Workflow history size exceeds limit." and the like.
 */
const EXECUTION_LIMIT =
  /exceeded workflow execution limit|workflow (history size|history count|mutable state size) exceeds limit/i;

const MISCONFIGURED: Record<number, [Misconfiguration, string]> = {
  [GRPC.NOT_FOUND]: [
    'namespace-not-found',
    'The Temporal namespace does not exist (check TEMPORAL_NAMESPACE)',
  ],
  [GRPC.INVALID_ARGUMENT]: [
    'invalid-request',
    'Temporal rejected the request as invalid (is the TicketId search attribute registered?)',
  ],
  [GRPC.PERMISSION_DENIED]: [
    'permission-denied',
    'The Temporal credentials may not start workflows in this namespace',
  ],
  [GRPC.UNAUTHENTICATED]: [
    'unauthenticated',
    'Temporal did not accept the credentials (check TEMPORAL_API_KEY or the TLS client certificate)',
  ],
  [GRPC.FAILED_PRECONDITION]: [
    'unsupported-request',
    'Temporal cannot serve this request (is the namespace active on this cluster?)',
  ],
  [GRPC.UNIMPLEMENTED]: ['unsupported-request', 'The Temporal server does not support this request'],
};

/** The gRPC error behind a Temporal client error (the client wraps it in a ServiceError's `cause`). */
function grpcErrorOf(err: unknown): { code: number; details: string } | null {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth += 1) {
    if (isGrpcServiceError(e)) return { code: e.code, details: e.details };
  }
  return null;
}

export function classifyStartFailure(err: unknown): StartFailure {
  if (err instanceof WorkflowExecutionAlreadyStartedError) return { kind: 'finished' };
  if (err instanceof NamespaceNotFoundError) {
    const [problem, message] = MISCONFIGURED[GRPC.NOT_FOUND]!;
    return { kind: 'misconfigured', problem, message };
  }
  const grpc = grpcErrorOf(err);
  if (!grpc) return { kind: 'unavailable' }; // connection errors, the client's own timeout
  const limited = grpc.code === GRPC.INVALID_ARGUMENT || grpc.code === GRPC.RESOURCE_EXHAUSTED;
  if (limited && EXECUTION_LIMIT.test(grpc.details)) return { kind: 'execution-limit' };
  const misconfigured = MISCONFIGURED[grpc.code];
  if (misconfigured) return { kind: 'misconfigured', problem: misconfigured[0], message: misconfigured[1] };
  // UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, RESOURCE_EXHAUSTED (rate limits, busy workflow), INTERNAL, ...
  return { kind: 'unavailable' };
}
