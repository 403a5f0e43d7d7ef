import http from 'node:http';
import https from 'node:https';
import { isSimpleBody, nodeHttpRequest } from '../outbound/node-http-request';
import { LEAN_SIGNAL } from './idle-abort';

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
 *
 * `init.signal` may be a lean signal (`IdleAbort`, marked by `LEAN_SIGNAL`): the request only reads its
 * `aborted`/`reason` and adds one `abort` listener; the fallback gets its real `AbortSignal`.
 */
export function nodeHttpFetch(fallback: typeof fetch = globalThis.fetch): typeof fetch {
  const fetchOverNodeHttp: typeof fetch = (input, init = {}) => {
    const target = typeof input === 'string' || input instanceof URL ? new URL(input) : null;
    if (!isSimpleBody(init.body) || !target || (target.protocol !== 'http:' && target.protocol !== 'https:')) {
      const signal = init.signal as unknown;
      const lean = signal && !(signal instanceof AbortSignal) ? (signal as { signal?: AbortSignal }).signal : undefined;
      return fallback(input, lean ? { ...init, signal: lean } : init);
    }
    return nodeHttpRequest(target, init, { agent: agents[target.protocol] });
  };
  return Object.assign(fetchOverNodeHttp, { [LEAN_SIGNAL]: true });
}
