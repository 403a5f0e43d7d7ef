import type { components, paths } from './schema';

/*
 * Routes the CLI calls that docs/openapi.json does not describe yet: the chat sessions and the
 * owner transcript export (issue 6, built in parallel). They follow ARCHITECTURE.md §4. Each entry
 * drops out of `ApiPaths` by itself as soon as the regenerated schema has the route (the generated
 * type wins); delete this file once `PendingRoutes` is `never`.
 */

type Headers = { [name: string]: unknown };
type Json<T> = { headers: Headers; content: { 'application/json': T } };
type Empty = { headers: Headers; content?: never };
type Failure = Json<components['schemas']['ErrorResponse']>;
type Params<Path, Query = never> = { query?: Query; header?: never; path: Path; cookie?: never };
type NoParams = { query?: never; header?: never; path?: never; cookie?: never };
type Operation<P, R> = { parameters: P; requestBody?: never; responses: R & { default: Failure } };
type Method = 'get' | 'put' | 'post' | 'delete' | 'options' | 'head' | 'patch' | 'trace';
/** A path item with one operation, shaped like the generated ones. */
type Only<M extends Method, Op> = { parameters: NoParams } & { [K in Exclude<Method, M>]?: never } & { [K in M]: Op };

interface PendingPaths {
  /** The caller's chat sessions. The CLI reads the list defensively (see `sessions.ts`). */
  '/api/chatkit/sessions': Only<'get', Operation<NoParams, { 200: Json<unknown> }>>;
  '/api/chatkit/sessions/{id}': Only<'delete', Operation<Params<{ id: string }>, { 200: Json<unknown>; 204: Empty }>>;
  '/api/chatkit/sessions/revoke-all': Only<'post', Operation<NoParams, { 200: Json<unknown>; 204: Empty }>>;
  '/api/workflows/{id}/transcripts/export': Only<
    'get',
    Operation<
      { query: { format: 'jsonl' | 'csv' }; header?: never; path: { id: string }; cookie?: never },
      { 200: { headers: Headers; content: { 'application/x-ndjson': string; 'text/csv': string } } }
    >
  >;
}

/** Pending routes the generated schema does not have yet. */
export type PendingRoutes = Exclude<keyof PendingPaths, keyof paths>;

/** Every route the CLI may call: the generated contract plus what is still pending. */
export type ApiPaths = paths & Pick<PendingPaths, PendingRoutes>;
