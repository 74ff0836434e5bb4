import { createServer, IncomingMessage, ServerResponse, type Server } from 'node:http';

/** What node:http needs of an Express app: the request listener, and the prototypes it gives requests and responses. */
export interface HttpApp {
  (req: IncomingMessage, res: ServerResponse): void;
  request: object;
  response: object;
}

/** A subclass-like constructor of `base` whose instances have `prototype` from birth. */
function bornWith<T extends new (...args: never[]) => object>(base: T, prototype: object): T {
  // Reflect.construct works whether node:http's constructors are classes or plain functions.
  function Born(...args: unknown[]): object {
    return Reflect.construct(base, args, Born) as object;
  }
  Born.prototype = prototype;
  return Born as unknown as T;
}

/**
 * An HTTP server for an Express app whose requests and responses are created with the app's own prototypes.
 * Express otherwise re-parents each one with Object.setPrototypeOf as it arrives (app.handle), and V8 then
 * gives up the objects' optimised shapes: every later property access in node:http and Express is slower.
 * Measured on the intake, that doubled the webhook server's CPU per delivery (docs/benchmarks.md). Express's
 * own call then sets the prototype an object already has, which changes nothing.
 */
export function createAppServer(app: HttpApp): Server {
  return createServer(
    {
      IncomingMessage: bornWith<typeof IncomingMessage>(IncomingMessage, app.request),
      ServerResponse: bornWith<typeof ServerResponse>(ServerResponse, app.response),
    },
    app,
  );
}

/** `createAppServer(app)` listening on `port` and `host`: resolves once it listens, rejects if it cannot. */
export function listenApp(app: HttpApp, port: number, host: string): Promise<Server> {
  const server = createAppServer(app);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
