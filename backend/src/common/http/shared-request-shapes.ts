import type { INestApplication } from '@nestjs/common';
import http from 'node:http';

type RequestConstructor = new (socket: unknown) => http.IncomingMessage;
type ResponseConstructor = new (req: http.IncomingMessage, options?: unknown) => http.ServerResponse;

/** Node's own slots (`http.createServer({ IncomingMessage, ServerResponse })`) for the classes a server instantiates. */
function serverClassSlots(): { request: symbol; response: symbol } | undefined {
  // Asked of Node itself: a server created with marker classes says which of its symbol slots holds which.
  const RequestMarker = function RequestMarker() {} as unknown as typeof http.IncomingMessage;
  const ResponseMarker = function ResponseMarker() {} as unknown as typeof http.ServerResponse;
  const probe = http.createServer({ IncomingMessage: RequestMarker, ServerResponse: ResponseMarker });
  const slots = probe as unknown as Record<symbol, unknown>;
  const symbols = Object.getOwnPropertySymbols(probe);
  const request = symbols.find((s) => slots[s] === RequestMarker);
  const response = symbols.find((s) => slots[s] === ResponseMarker);
  return request && response ? { request, response } : undefined;
}

/**
 * Makes the HTTP server create every request and response with Express's prototypes already in place, so Express's
 * `Object.setPrototypeOf(req, app.request)` (and the same for `res`) in `app.handle` changes nothing.
 *
 * Why: V8 gives an object whose prototype is changed after it was built a hidden class (map) of its own. With
 * Express's per-request `setPrototypeOf`, every request and every response had its own map, so each property added
 * to them afterwards (Express's `params`, `route`, `baseUrl`…, the request id, the principal, the metrics' start
 * time…) built a new map and copied its descriptors — kilobytes per request for the scavenger, and property reads
 * that no inline cache could keep (docs/performance.md, "lean-pipe"). Built with the right prototype from the start,
 * all requests share one chain of maps, and so do all responses.
 *
 * The objects are what Node would build (`http.IncomingMessage` / `http.ServerResponse` run as constructors), with
 * exactly the prototype Express would give them. Does nothing when the server already uses classes of its own or
 * Node's slots cannot be found; returns whether it applied.
 */
export function shareExpressPrototypes(app: INestApplication): boolean {
  const server = app.getHttpServer() as http.Server & Record<symbol, unknown>;
  const express = app.getHttpAdapter().getInstance() as { request?: object; response?: object };
  const slots = serverClassSlots();
  if (!slots || !express.request || !express.response) return false;
  if (server[slots.request] !== http.IncomingMessage || server[slots.response] !== http.ServerResponse) return false;

  const ExpressRequest = function ExpressRequest(this: http.IncomingMessage, socket: unknown) {
    (http.IncomingMessage as unknown as (this: http.IncomingMessage, socket: unknown) => void).call(this, socket);
  } as unknown as RequestConstructor;
  ExpressRequest.prototype = express.request as http.IncomingMessage;
  const ExpressResponse = function ExpressResponse(this: http.ServerResponse, req: http.IncomingMessage, options?: unknown) {
    (http.ServerResponse as unknown as (this: http.ServerResponse, req: http.IncomingMessage, options?: unknown) => void).call(this, req, options);
  } as unknown as ResponseConstructor;
  ExpressResponse.prototype = express.response as http.ServerResponse;

  server[slots.request] = ExpressRequest;
  server[slots.response] = ExpressResponse;
  return true;
}
