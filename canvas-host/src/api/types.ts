import type { components, paths } from '@parley/api-types';

/**
 * REST types for the canvas host. `@parley/api-types` is generated from docs/openapi.json (`npm run gen:api` at
 * the repository root); nothing here repeats what it has. Each type below is keyed by the route that returns it;
 * every route the app calls is in the document, so no hand-written fallback is left (the third argument of
 * `ResponseOf`/`RequestOf` is `never`: a route missing from the document makes its type `never` and the pages fail
 * to compile).
 */

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type JsonBody<R> = R extends { content: { 'application/json': infer B } } ? B : never;
type Operation<P extends string, M extends Method> = P extends keyof paths
  ? M extends keyof paths[P]
    ? NonNullable<paths[P][M]>
    : never
  : never;

/** The 200/201 JSON body of `M P` in the generated document, or `Fallback` while the route is not in it yet. */
export type ResponseOf<P extends string, M extends Method, Fallback> = [Operation<P, M>] extends [never]
  ? Fallback
  : Operation<P, M> extends { responses: infer R }
    ? R extends { 200: infer Ok }
      ? JsonBody<Ok>
      : R extends { 201: infer Created }
        ? JsonBody<Created>
        : Fallback
    : Fallback;

/** The JSON request body of `M P` in the generated document, or `Fallback` while the route is not in it yet. */
export type RequestOf<P extends string, M extends Method, Fallback> = [Operation<P, M>] extends [never]
  ? Fallback
  : Operation<P, M> extends { requestBody?: infer B }
    ? [JsonBody<NonNullable<B>>] extends [never]
      ? Fallback
      : JsonBody<NonNullable<B>>
    : Fallback;

/** Parley's error body (docs/errors.md); `code` widened, since new codes arrive before the client knows them. */
export type ApiErrorBody = Omit<components['schemas']['ErrorResponse'], 'code'> & { code: string };

// Enumerations the forms and pages use.
export type RunnerKind = 'echo' | 'openai' | 'agent' | 'webhook';
export type RunnerProvider = 'openai' | 'gemini' | 'compatible';
/** Principal kinds a transcript thread can belong to (docs/security.md, The model). */
export type PrincipalKind = 'chat' | 'visitor' | 'oauth' | 'host';

// ---------------------------------------------------------------------------------------------------------------
// The types the app uses, keyed by route.
// ---------------------------------------------------------------------------------------------------------------

export type MeResponse = ResponseOf<'/api/auth/me', 'get', never>;
export type User = MeResponse['user'];
export type LoginBody = RequestOf<'/api/auth/login', 'post', never>;
export type LoginResponse = ResponseOf<'/api/auth/login', 'post', never>;
export type RegisterBody = RequestOf<'/api/auth/register', 'post', never>;
export type RegisterResponse = ResponseOf<'/api/auth/register', 'post', never>;

export type Workflow = ResponseOf<'/api/workflows/{id}', 'get', never>;
export type WorkflowPage = ResponseOf<'/api/workflows', 'get', never>;
export type CreateWorkflowBody = RequestOf<'/api/workflows', 'post', never>;
export type UpdateWorkflowBody = RequestOf<'/api/workflows/{id}', 'patch', never>;

export type IssuedLink = ResponseOf<
  '/api/workflows/{id}/publish',
  'post',
  never
>;
export type PublicWorkflow = ResponseOf<'/api/workflows/{id}/public', 'get', never>;
export type AuditPage = ResponseOf<'/api/workflows/{id}/audit', 'get', never>;
export type AuditEvent = AuditPage['data'][number];

export type ChatSessionToken = ResponseOf<
  '/api/workflows/{id}/chatkit/session',
  'post',
  never
>;
export type ChatSessionList = ResponseOf<'/api/chatkit/sessions', 'get', never>;
export type ChatSessionInfo = ChatSessionList['data'][number];

export type WorkflowAnalytics = ResponseOf<'/api/workflows/{id}/analytics', 'get', never>;
export type AnalyticsBucket = WorkflowAnalytics['buckets'][number];

export type TranscriptPage = ResponseOf<'/api/workflows/{id}/transcripts', 'get', never>;
export type TranscriptThread = TranscriptPage['data'][number];
export type TranscriptDetail = ResponseOf<
  '/api/workflows/{id}/transcripts/{threadId}',
  'get',
  never
>;

export type OidcSession = ResponseOf<
  '/api/auth/session',
  'get',
  never
>;

/** An agent tool as the API takes and returns it (header values come back as `***`). */
export type AgentTool = components['schemas']['AgentToolDto'];
export type ToolType = AgentTool['type'];
export type HttpMethod = NonNullable<AgentTool['method']>;

export type WorkflowVersionPage = ResponseOf<'/api/workflows/{id}/versions', 'get', never>;
export type WorkflowVersion = WorkflowVersionPage['data'][number];
export type VersionChange = ResponseOf<'/api/workflows/{id}/versions', 'post', never>;
export type ToolTestResult = ResponseOf<'/api/workflows/{id}/tools/test', 'post', never>;

/** Host-app integration (docs/embedding.md, sections 7 and 8): server keys, end-user sessions, the webhook signing secret. */
export type ServerKeyList = ResponseOf<'/api/workflows/{id}/server-keys', 'get', never>;
export type ServerKey = ServerKeyList['keys'][number];
export type CreatedServerKey = ResponseOf<'/api/workflows/{id}/server-keys', 'post', never>;
export type HostSessionList = ResponseOf<'/api/workflows/{id}/end-user-sessions', 'get', never>;
export type HostSession = HostSessionList['data'][number];
export type WebhookSecret = ResponseOf<'/api/workflows/{id}/webhook-secret', 'post', never>;


