import { createServer, type RequestListener, type Server } from 'node:http';

/**
 * Node's request timeouts, set for a webhook server behind a load balancer (and used by every server here):
 * - `keepAliveTimeout` above the idle timeout load balancers commonly use (60 s): a server that closes an idle
 *   connection first races the balancer's next request on it, which then fails (a 502 for Gorgias). Node's default
 *   is 5 s. Idle time between requests counts towards no other timeout (checked on Node 20).
 * - `headersTimeout` and `requestTimeout` bound a client that sends slowly (one byte at a time, or headers that
 *   never end) instead of holding a connection for Node's default 60 s / 300 s: 408 and the connection closed. A
 *   whole-context delivery (10 MB at most, WEBHOOK_MAX_BODY_BYTES) comes from Gorgias's servers in well under this.
 * - `connectionsCheckingInterval`: how often those two are checked (Node's default, 30 s, would let each run 30 s
 *   late).
 */
export const SERVER_TIMEOUTS = {
  keepAliveTimeout: 65_000,
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  connectionsCheckingInterval: 1_000,
};
export type ServerTimeouts = typeof SERVER_TIMEOUTS;

/**
 * An HTTP server for `app` (an Express app or any request listener), listening on `port` and `host`: resolves
 * once it listens, rejects with the reason (EADDRINUSE, EACCES, ...) if it cannot. Express 5's own
 * app.listen(port, host, callback) hands that error to the callback, which then runs as if it were listening.
 */
export function listenApp(
  app: RequestListener,
  port: number,
  host: string,
  timeouts: Partial<ServerTimeouts> = {},
): Promise<Server> {
  const { keepAliveTimeout, ...checked } = { ...SERVER_TIMEOUTS, ...timeouts };
  const server = createServer(checked, app);
  server.keepAliveTimeout = keepAliveTimeout;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
