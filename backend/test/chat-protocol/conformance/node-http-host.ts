import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChatKitRequestError } from '../../../src/chat-protocol/errors';
import type { ChatKitProcessor } from '../../../src/chat-protocol/processor';
import { parseJsonBody } from '../../../src/chat-protocol/request-validation';
import { encodeEvent, SSE_CONTENT_TYPE } from '../../../src/chat-protocol/sse';

/**
 * A minimal plain `node:http` host for `ChatKitProcessor`, used to replay the conformance
 * vectors over real HTTP without Nest. It renders errors with Parley's JSON error body
 * (`{statusCode, code, message, requestId, details?}`) and streams with `encodeEvent`.
 */

/** Options of `startChatKitHttpHost`. */
export interface ChatKitHttpHostOptions<Ctx> {
  /** Builds the processor once the origin (for absolute upload URLs) is known. */
  createProcessor(origin: string): ChatKitProcessor<Ctx>;
  /** Derives the principal from the request (e.g. a header). */
  contextOf(req: IncomingMessage): Ctx;
  /** Endpoint path; default `/api/chatkit`. */
  path?: string;
}

/** A running host. */
export interface ChatKitHttpHost<Ctx> {
  origin: string;
  processor: ChatKitProcessor<Ctx>;
  close(): Promise<void>;
}

/** Starts the host on 127.0.0.1 with an ephemeral port. */
export async function startChatKitHttpHost<Ctx>(options: ChatKitHttpHostOptions<Ctx>): Promise<ChatKitHttpHost<Ctx>> {
  const path = options.path ?? '/api/chatkit';
  // Filled once the port is known: the processor needs the origin for absolute upload URLs.
  const bound: { processor?: ChatKitProcessor<Ctx> } = {};
  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const pathname = new URL(req.url ?? '/', 'http://host').pathname;
    const processor = bound.processor;
    if (pathname !== path || !processor) return writeError(res, requestId, 404, 'not_found', `No route for ${req.method} ${pathname}.`);
    if (req.method !== 'POST') return writeError(res, requestId, 405, 'method_not_allowed', 'Use POST.');

    const controller = new AbortController();
    // `close` also fires after a normal end; only an unfinished response means a disconnect.
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    try {
      const body = parseJsonBody(await readBody(req));
      const result = await processor.process(body, options.contextOf(req), { signal: controller.signal });
      if (result.kind === 'json') {
        writeJson(res, 200, result.body);
        return;
      }
      res.writeHead(200, { 'content-type': SSE_CONTENT_TYPE, 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
      for await (const event of result.events) {
        if (controller.signal.aborted) break;
        res.write(encodeEvent(event));
      }
      res.end();
    } catch (error) {
      // Once streaming, there is no way to report in HTTP: cut the stream so the client notices.
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof ChatKitRequestError) {
        writeError(res, requestId, error.status, error.code, error.message, error.details);
      } else {
        writeError(res, requestId, 500, 'internal_error', 'An unexpected error occurred.');
      }
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const processor = options.createProcessor(origin);
  bound.processor = processor;
  return {
    origin,
    processor,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function writeJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function writeError(res: ServerResponse, requestId: string, status: number, code: string, message: string, details?: object): void {
  writeJson(res, status, { statusCode: status, code, message, requestId, ...(details ? { details } : {}) });
}
