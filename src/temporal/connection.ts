import { readFileSync } from 'node:fs';
import {
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  type ConnectionOptions,
} from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { TemporalConfig } from '../config';

/**
 * Connection settings shared by the client (webhook server) and the worker: a local dev server needs only
 * an address; Temporal Cloud needs TLS with an API key or an mTLS client certificate.
 */
export function connectionOptions(config: TemporalConfig): ConnectionOptions & NativeConnectionOptions {
  const mtls =
    config.TEMPORAL_TLS_CLIENT_CERT_PATH && config.TEMPORAL_TLS_CLIENT_KEY_PATH
      ? {
          clientCertPair: {
            crt: readFileSync(config.TEMPORAL_TLS_CLIENT_CERT_PATH),
            key: readFileSync(config.TEMPORAL_TLS_CLIENT_KEY_PATH),
          },
        }
      : undefined;
  const useTls = config.TEMPORAL_TLS || config.TEMPORAL_API_KEY !== undefined || mtls !== undefined;
  return {
    address: config.TEMPORAL_ADDRESS,
    ...(useTls
      ? {
          tls: {
            ...mtls,
            ...(config.TEMPORAL_TLS_SERVER_NAME
              ? { serverNameOverride: config.TEMPORAL_TLS_SERVER_NAME }
              : {}),
          },
        }
      : {}),
    ...(config.TEMPORAL_API_KEY ? { apiKey: config.TEMPORAL_API_KEY } : {}),
  };
}

/** A client connection that connects on first use and reconnects by itself, so the intake starts while Temporal is down. */
export function lazyClientConnection(config: TemporalConfig): Connection {
  return Connection.lazy({
    ...connectionOptions(config),
    // grpc-js backs off reconnecting for up to 2 minutes after an outage; Gorgias's next delivery must find
    // Temporal as soon as it is back, not get 503s for minutes (found by test/chaos/temporal-down).
    channelArgs: { 'grpc.initial_reconnect_backoff_ms': 250, 'grpc.max_reconnect_backoff_ms': 1000 },
    interceptors: [retryWithinDeadline()],
  });
}

type GrpcInterceptor = NonNullable<ConnectionOptions['interceptors']>[number];

/**
 * The SDK's gRPC retries (UNAVAILABLE and the like, backing off up to 5 s), kept within the call's deadline. The
 * SDK's own interceptor sleeps its backoff past the deadline before its last attempt fails, so the intake's 5 s
 * budget could end in an answer after 10 s (found on the cluster when a node died). Here a retry that would
 * start after the deadline is not made: the call fails with its last error at once, and the intake answers 503.
 */
export function retryWithinDeadline(): GrpcInterceptor {
  const sdk = defaultGrpcRetryOptions();
  return (options, nextCall) => {
    const deadline = options.deadline === undefined ? Infinity : Number(options.deadline);
    let delayMs = 0;
    return makeGrpcRetryInterceptor({
      retryableDecider: (attempt, status) => {
        if (!sdk.retryableDecider(attempt, status)) return false;
        delayMs = sdk.delayFunction(attempt, status);
        return Date.now() + delayMs < deadline;
      },
      delayFunction: () => delayMs,
    })(options, nextCall);
  };
}

export function connectWorker(config: TemporalConfig): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(config));
}
