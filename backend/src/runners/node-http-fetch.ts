import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';

const agents = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
};

/**
 * A `fetch` for the OpenAI SDK over `node:http`/`node:https` instead of the global fetch (undici).
 * A request waiting for the model's first byte is the whole of an idle chat stream's upstream side,
 * and undici holds ~17 KB of heap for it (its Request, fetch controller, body stream, Client) where
 * a `ClientRequest` holds a few (bench:streams measures both floors). Behaves like fetch where the SDK
 * relies on it: a WHATWG `Response` (status, headers, streamed body, decompressed), rejects with the
 * abort error when `signal` aborts, with `TypeError('fetch failed', { cause })` on network errors.
 * Bodies other than a string or bytes (multipart `FormData` of transcriptions, streams) and URLs
 * other than http(s) go to `fallback`.
 */
export function nodeHttpFetch(fallback: typeof fetch = globalThis.fetch): typeof fetch {
  return (input, init = {}) => {
    const body = init.body;
    const simpleBody = body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
    const target = typeof input === 'string' || input instanceof URL ? new URL(input) : null;
    if (!simpleBody || !target || (target.protocol !== 'http:' && target.protocol !== 'https:')) return fallback(input, init);
    const signal = init.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    // Headers as a flat list: Node writes them straight into the request head and keeps no header map
    // (`kOutHeaders`) on the request while it waits; Host is then ours to send.
    const headers: string[] = ['host', target.host];
    let length = false;
    new Headers(init.headers).forEach((value, name) => {
      if (name === 'host') return;
      if (name === 'content-length') length = true;
      headers.push(name, value);
    });
    if (body !== undefined && body !== null && !length) headers.push('content-length', String(Buffer.byteLength(body as string | Uint8Array)));
    const method = (init.method ?? 'GET').toUpperCase();
    const lib = target.protocol === 'https:' ? https : http;
    return new Promise<Response>((resolve, reject) => {
      const req = lib.request(target, { method, headers, agent: agents[target.protocol as 'http:' | 'https:'], signal }, (res) => {
        const responseHeaders = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) responseHeaders.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
        const status = res.statusCode ?? 502;
        const noBody = method === 'HEAD' || status === 204 || status === 304;
        if (noBody) res.resume();
        resolve(new Response(noBody ? null : (Readable.toWeb(decoded(res)) as ReadableStream<Uint8Array>), { status, statusText: res.statusMessage, headers: responseHeaders }));
      });
      req.on('error', (error) => reject(signal?.aborted ? abortError(signal) : new TypeError('fetch failed', { cause: error })));
      req.end(body ?? undefined);
    });
  };
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
  return res.pipe(decoder);
}

/** What fetch rejects with on abort: the signal's reason, or an `AbortError`. */
function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}
