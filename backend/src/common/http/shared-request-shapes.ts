import type { INestApplication } from '@nestjs/common';
import http from 'node:http';

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
 * Gives `Shaped` (a subclass of Node's class) the place of `expressPrototype`: the same parent (Express's request or
 * response methods, then Node's), the same own properties (`app`), so what Express would make of an object, `Shaped`
 * builds. A class (a derived constructor), not a function calling Node's: V8 then sizes the objects as Node's
 * constructor does and keeps their properties fast (a plain function's objects fell into dictionary mode under Node's
 * ~40 properties, checked with `%HasFastProperties`).
 */
function takePlaceOf(Shaped: { prototype: object }, expressPrototype: object): void {
  Object.setPrototypeOf(Shaped.prototype, Object.getPrototypeOf(expressPrototype) as object);
  Object.defineProperties(Shaped.prototype, Object.getOwnPropertyDescriptors(expressPrototype));
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
 * How: a subclass of `http.IncomingMessage` (of `http.ServerResponse`) whose prototype replaces the app's
 * `app.request` (`app.response`) — same parent (Express's request/response methods), same own properties — and which
 * the server instantiates (Node's `IncomingMessage`/`ServerResponse` server options). Must run before anything else
 * keeps a reference to `app.request`/`app.response` (`configureApp` calls it first). Does nothing when the server
 * already uses classes of its own or Node's slots cannot be found; returns whether it applied.
 */
export function shareExpressPrototypes(app: INestApplication): boolean {
  const server = app.getHttpServer() as http.Server & Record<symbol, unknown>;
  const express = app.getHttpAdapter().getInstance() as { request?: object; response?: object };
  const slots = serverClassSlots();
  if (!slots || !express.request || !express.response) return false;
  if (server[slots.request] !== http.IncomingMessage || server[slots.response] !== http.ServerResponse) return false;

  class ExpressRequest extends http.IncomingMessage {}
  class ExpressResponse extends http.ServerResponse {}
  takePlaceOf(ExpressRequest, express.request);
  takePlaceOf(ExpressResponse, express.response);
  express.request = ExpressRequest.prototype;
  express.response = ExpressResponse.prototype;
  server[slots.request] = ExpressRequest;
  server[slots.response] = ExpressResponse;
  return true;
}
