import {
  connect,
  constants,
  createServer,
  type ClientHttp2Session,
  type Http2Server,
  type Http2Session,
  type ServerHttp2Stream,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { temporal } from '@temporalio/proto';

const SIGNAL_WITH_START = '/temporal.api.workflowservice.v1.WorkflowService/SignalWithStartWorkflowExecution';
/** PERMISSION_DENIED: the client does not retry it, as it would a refusal Temporal means for good. */
const REFUSED = { status: '7', message: 'refused by the chaos proxy' };

/**
 * A gRPC (HTTP/2, cleartext) proxy in front of a Temporal frontend that passes every call through, except the
 * signal-with-start of chosen workflow IDs, which it refuses: a Temporal that will not start one ticket's workflow
 * (an authorizer, a limit), while everything else works. Point a worker's TEMPORAL_ADDRESS at `address`.
 */
export class TemporalProxy {
  /** Workflow IDs whose signal-with-start is refused. */
  readonly refusing = new Set<string>();
  /** Every refusal, by workflow ID. */
  readonly refused: string[] = [];
  private readonly sessions = new Set<Http2Session>();

  private constructor(
    private readonly server: Http2Server,
    private readonly upstream: ClientHttp2Session,
    readonly address: string,
  ) {}

  static async start(upstreamAddress: string): Promise<TemporalProxy> {
    const upstream = connect(`http://${upstreamAddress}`);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const proxy = new TemporalProxy(server, upstream, `127.0.0.1:${port}`);
    server.on('stream', (stream, headers) => proxy.forward(stream, headers));
    server.on('session', (session) => proxy.sessions.add(session));
    return proxy;
  }

  private forward(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    const path = headers[':path'];
    if (path !== SIGNAL_WITH_START) {
      this.pass(stream, headers, null);
      return;
    }
    // A unary call: read the whole request, and look at the workflow ID before passing it on.
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      const body = Buffer.concat(chunks);
      const request = temporal.api.workflowservice.v1.SignalWithStartWorkflowExecutionRequest.decode(
        body.subarray(5),
      );
      if (this.refusing.has(request.workflowId)) {
        this.refused.push(request.workflowId);
        stream.respond(
          {
            ':status': 200,
            'content-type': 'application/grpc',
            'grpc-status': REFUSED.status,
            'grpc-message': REFUSED.message,
          },
          { endStream: true },
        );
        return;
      }
      this.pass(stream, headers, body);
    });
  }

  /** Passes a call upstream and its answer back, trailers included; `body` when already read. */
  private pass(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, body: Buffer | null): void {
    const outgoing: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined && name !== ':authority' && name !== ':scheme') outgoing[name] = value;
    }
    const call = this.upstream.request(outgoing);
    if (body) call.end(body);
    else stream.pipe(call);
    let trailers: OutgoingHttpHeaders = {};
    call.on('response', (answer, flags) => {
      const ended = (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0;
      if (stream.destroyed) return;
      // A trailers-only answer (an error) stays one; otherwise the trailers follow the data.
      stream.respond(answer, ended ? { endStream: true } : { waitForTrailers: true });
    });
    call.on('trailers', (received) => (trailers = received));
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    call.on('data', (chunk: Buffer) => {
      if (!stream.destroyed) stream.write(chunk);
    });
    call.on('end', () => {
      if (!stream.destroyed && !stream.writableEnded) stream.end();
    });
    call.on('error', () => stream.destroy());
    stream.on('error', () => call.destroy());
    stream.on('close', () => {
      if (!call.closed) call.close(constants.NGHTTP2_CANCEL);
    });
  }

  async close(): Promise<void> {
    this.upstream.close();
    for (const session of this.sessions) session.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
