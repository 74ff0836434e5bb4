import http, { type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';

/**
 * An HTTP transport (axios's `transport` option) that drops a write whose bytes would leave after `writeBy`.
 *
 * A write is checked against the activity attempt's deadline before it starts, but a process can stop between
 * that check and the moment its bytes reach the socket (a SIGSTOP, a frozen VM, a long GC pause), and carry on
 * long after Temporal gave the attempt to another worker, which may have looked for the message and posted it
 * already. So the request is checked again at the last moment Node gives us: when it gets its socket (right
 * before the buffered request is flushed to it) and, for a new connection, when the socket connects (before
 * the writes pending on it go out). Too late: the request is destroyed and nothing is sent.
 */
export function transportWritingBy(writeBy: number, secure: boolean) {
  const transport = secure ? https : http;
  return {
    request(options: RequestOptions, callback?: (response: IncomingMessage) => void): ClientRequest {
      const request = transport.request(options, callback);
      const tooLate = () => Date.now() > writeBy;
      const drop = () =>
        request.destroy(
          new Error('write not sent: the attempt ran out of time before it reached the socket'),
        );
      request.once('socket', (socket: Socket) => {
        if (tooLate()) return drop();
        // Runs before net's own 'connect' listener, which sends what was written while connecting.
        if (socket.connecting) socket.prependOnceListener('connect', () => tooLate() && drop());
      });
      return request;
    },
  };
}
