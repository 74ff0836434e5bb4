import { createServer, type RequestListener, type Server } from 'node:http';

/**
 * An HTTP server for `app` (an Express app or any request listener), listening on `port` and `host`: resolves
 * once it listens, rejects with the reason (EADDRINUSE, EACCES, ...) if it cannot. Express 5's own
 * app.listen(port, host, callback) hands that error to the callback, which then runs as if it were listening.
 */
export function listenApp(app: RequestListener, port: number, host: string): Promise<Server> {
  const server = createServer(app);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
