import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';

/** Options of one `nodeHttpRequest`. */
export interface NodeHttpRequestOptions {
  /** The keep-alive agent to use (the one for the URL's scheme). */
  agent: http.Agent;
  /** Cap on the (decoded) body: a declared longer `Content-Length` rejects, a longer stream errors the body. Redirects are not capped. */
  maxResponseBytes?: number;
  /** The error a response over `maxResponseBytes` fails with. */
  tooLarge?: (limitBytes: number) => Error;
}

/** Whether `nodeHttpRequest` can send this body itself (a string, bytes or nothing). */
export function isSimpleBody(body: unknown): body is string | Uint8Array | null | undefined {
  return body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
}

/**
 * One request over `node:http`/`node:https` (no redirects followed), answered as a WHATWG `Response`
 * like fetch with `redirect: 'manual'`: the body streamed and decompressed; abort rejects (or errors
 * the body, once the answer has begun) with the signal's reason and destroys the socket; network
 * errors reject with `TypeError('fetch failed', { cause })`. The body must be a string or bytes
 * (`isSimpleBody`); `target` must be http(s). Also OutboundPolicy's transport (docs/security.md).
 */
export function nodeHttpRequest(target: URL, init: RequestInit, options: NodeHttpRequestOptions): Promise<Response> {
  const signal = init.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  const body = init.body as string | Uint8Array | null | undefined;
  const headers = headerList(target, init.headers, body);
  const method = (init.method ?? 'GET').toUpperCase();
  let req: http.ClientRequest;
  try {
    req = (target.protocol === 'https:' ? https : http).request(target, { method, headers, agent: options.agent });
  } catch (error) {
    return Promise.reject(error);
  }
  const answer = awaitAnswer(req, method, signal, options);
  req.end(body ?? undefined);
  flattenHead(req);
  return answer;
}

/**
 * The request's headers as a flat list: Node writes them straight into the request head and keeps no header map
 * (`kOutHeaders`) on the request while it waits; Host is then ours to send.
 */
function headerList(target: URL, init: RequestInit['headers'], body: string | Uint8Array | null | undefined): string[] {
  const headers: string[] = ['host', target.host];
  let length = false;
  new Headers(init).forEach((value, name) => {
    if (name === 'host') return;
    if (name === 'content-length') length = true;
    headers.push(name, value);
  });
  if (body !== undefined && body !== null && !length) headers.push('content-length', String(Buffer.byteLength(body)));
  return headers;
}

/**
 * The answer to `req` as a `Response`. Its own function, so that the closures a waiting request keeps (the
 * response and error handlers, the abort listener) hold these few values, not the URL, headers and body.
 */
function awaitAnswer(req: http.ClientRequest, method: string, signal: AbortSignal | undefined, options: NodeHttpRequestOptions): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    let res: http.IncomingMessage | undefined;
    const onAbort = (): void => {
      const reason = abortError(signal!);
      // Before the answer: the promise rejects; after: the body errors with the reason. Either way the socket goes.
      if (res) res.destroy(reason as Error);
      req.destroy();
      reject(reason);
    };
    const done = (): void => signal?.removeEventListener('abort', onAbort);
    req.once('response', (answer: http.IncomingMessage) => {
      res = answer;
      answer.once('close', done);
      const responseHeaders = new Headers();
      for (let i = 0; i < answer.rawHeaders.length; i += 2) responseHeaders.append(answer.rawHeaders[i], answer.rawHeaders[i + 1]);
      const status = answer.statusCode ?? 502;
      const noBody = method === 'HEAD' || status === 101 || status === 204 || status === 205 || status === 304;
      if (noBody) {
        answer.resume();
        resolve(new Response(null, { status, statusText: answer.statusMessage, headers: responseHeaders }));
        return;
      }
      // A redirect's body is not capped: the caller following it cancels it.
      const cap = answer.headers.location !== undefined && status >= 300 && status < 400 ? undefined : options.maxResponseBytes;
      if (cap !== undefined) {
        const declared = Number(answer.headers['content-length']);
        if (Number.isFinite(declared) && declared > cap) {
          answer.destroy();
          reject(tooLargeError(options, cap));
          return;
        }
      }
      const stream = capped(decoded(answer), cap, options);
      resolve(new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, { status, statusText: answer.statusMessage, headers: responseHeaders }));
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (error) => {
      done();
      reject(signal?.aborted ? abortError(signal) : new TypeError('fetch failed', { cause: error }));
    });
  });
}

/**
 * Node keeps the request head it wrote (`_header`) while the request waits, as V8 built it: one concatenation per
 * header line, a tree of small strings (~1 KB). Reading a character makes V8 flatten it in place into one string (a
 * model request waiting for its first byte is an idle chat stream's upstream side: docs/performance.md, idle open
 * streams). The text is unchanged; a Node without `_header` is left alone.
 */
function flattenHead(req: http.ClientRequest): void {
  const head = (req as unknown as { _header?: unknown })._header;
  if (typeof head === 'string') head.charCodeAt(0);
}

/** The response body, decompressed like fetch does (`Content-Encoding` gzip, deflate or br). */
function decoded(res: http.IncomingMessage): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? zlib.createGunzip()
      : encoding === 'deflate'
        ? zlib.createInflate()
        : encoding === 'br'
          ? zlib.createBrotliDecompress()
          : null;
  if (!decoder) return res;
  res.on('error', (error) => decoder.destroy(error));
  // The decoder destroyed (body cancelled, cap passed) before the answer is complete: the upstream goes too.
  decoder.once('close', () => {
    if (!res.complete) res.destroy();
  });
  return res.pipe(decoder);
}

/** `body`, erroring with the too-large error (and closing the upstream) once it passes `maxBytes`. */
function capped(body: Readable, maxBytes: number | undefined, options: NodeHttpRequestOptions): Readable {
  if (maxBytes === undefined) return body;
  let seen = 0;
  body.on('data', (chunk: Buffer) => {
    seen += chunk.byteLength;
    if (seen > maxBytes) body.destroy(tooLargeError(options, maxBytes));
  });
  return body;
}

function tooLargeError(options: NodeHttpRequestOptions, maxBytes: number): Error {
  return options.tooLarge ? options.tooLarge(maxBytes) : new RangeError(`The response exceeded ${maxBytes} bytes.`);
}

/** What fetch rejects with on abort: the signal's reason, or an `AbortError`. */
function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}
