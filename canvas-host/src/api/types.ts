import type { components, paths } from '@parley/api-types';

/**
 * REST types for the canvas host. `@parley/api-types` is generated from docs/openapi.json (`npm run gen:api` at
 * the repository root); nothing here repeats what it has. The OpenAPI document is still growing, so each type below is
 * keyed by the route that returns it: while `docs/openapi.json` lacks the route, the minimal hand-written fallback
 * applies (marked REGENERATE); once the route is in the document and `gen:api` has run, the generated type takes
 * over by itself and any drift from the fallback shows up as a type error here or in the pages.
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

// ---------------------------------------------------------------------------------------------------------------
// Fallbacks. REGENERATE: each disappears from use once its route is in docs/openapi.json; delete it then.
// Shapes follow docs/openapi.json and the backend DTOs.
// ---------------------------------------------------------------------------------------------------------------

interface UserFallback {
  id: string;
  email: string;
  name: string | null;
  createdAt: string;
}

export type RunnerKind = 'echo' | 'openai' | 'agent' | 'webhook';
export type RunnerProvider = 'openai' | 'gemini' | 'compatible';

interface RunnerFallback {
  kind: RunnerKind;
  provider?: RunnerProvider;
  model?: string;
  instructions?: string;
  baseUrl?: string;
  temperature?: number;
}

interface WorkflowFallback {
  id: string;
  ownerId: string;
  name: string;
  description: string;
  runner: RunnerFallback;
  allowedOrigins: string[];
  isPublic: boolean;
  requireLogin: boolean;
  publishedAt: string | null;
  publishedBy: string | null;
  publishTokenRotatedAt: string | null;
  /** The public page URL without the token, while public. */
  shareUrl: string | null;
  createdAt: string;
  updatedAt: string;
}

interface WorkflowVersionFallback {
  version: number;
  runner: RunnerFallback;
  published: boolean;
  createdAt: string;
  createdBy: string | null;
}

/** REGENERATE: `POST /api/workflows/:id/tools/test` (docs/workflows.md, Testing a tool's connection). */
type ToolTestFallback = { ok: true; tools?: Array<{ name: string; description?: string }> } | { ok: false; code: string; message: string };

interface CursorPage<T> {
  data: T[];
  nextCursor: string | null;
}

interface WorkflowInputFallback {
  name: string;
  description?: string;
  runner?: RunnerFallback;
  allowedOrigins?: string[];
}

interface AuditEventFallback {
  id: string;
  action: string;
  actor: { kind: string; id: string | null };
  occurredAt: string;
  metadata: Record<string, unknown>;
}

/** Principal kinds a transcript thread can belong to (docs/security.md, The model). */
export type PrincipalKind = 'chat' | 'visitor' | 'oauth' | 'host';

interface TranscriptThreadFallback {
  id: string;
  title: string | null;
  principalKind: PrincipalKind | string;
  principalId?: string | null;
  /** A human label for the principal when the server has one (an email, "anonymous visitor"). */
  principalLabel?: string | null;
  createdAt: string;
  updatedAt?: string;
  itemCount?: number;
}

/** A stored ChatKit item, as the owner transcript API returns it; rendered generically. */
export interface TranscriptItemFallback {
  id: string;
  type: string;
  createdAt?: string;
  created_at?: string;
  content?: Array<{ type: string; text?: string }>;
  [field: string]: unknown;
}

interface ChatSessionInfoFallback {
  id: string;
  workflowId: string;
  device: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string;
  revokedAt: string | null;
}

// ---------------------------------------------------------------------------------------------------------------
// The types the app uses, keyed by route.
// ---------------------------------------------------------------------------------------------------------------

export type MeResponse = ResponseOf<'/api/auth/me', 'get', { user: UserFallback }>;
export type User = MeResponse['user'];
export type LoginBody = RequestOf<'/api/auth/login', 'post', { email: string; password: string }>;
export type LoginResponse = ResponseOf<'/api/auth/login', 'post', { user: User; accessToken: string; expiresIn: number }>;
export type RegisterBody = RequestOf<'/api/auth/register', 'post', { email: string; password: string; name?: string }>;
export type RegisterResponse = ResponseOf<'/api/auth/register', 'post', { user: User }>;

export type Workflow = ResponseOf<'/api/workflows/{id}', 'get', WorkflowFallback>;
export type WorkflowPage = ResponseOf<'/api/workflows', 'get', CursorPage<Workflow>>;
export type CreateWorkflowBody = RequestOf<'/api/workflows', 'post', WorkflowInputFallback>;
export type UpdateWorkflowBody = RequestOf<'/api/workflows/{id}', 'patch', Partial<WorkflowInputFallback>>;

export type IssuedLink = ResponseOf<
  '/api/workflows/{id}/publish',
  'post',
  { workflow: Workflow; publishToken: string; shareUrl: string }
>;
export type PublicWorkflow = ResponseOf<'/api/workflows/{id}/public', 'get', { id: string; name: string; requireLogin: boolean }>;
export type AuditPage = ResponseOf<'/api/workflows/{id}/audit', 'get', CursorPage<AuditEventFallback>>;
export type AuditEvent = AuditPage['data'][number];

export type ChatSessionToken = ResponseOf<
  '/api/workflows/{id}/chatkit/session',
  'post',
  { token: string; expiresAt: string; sessionId: string }
>;
export type ChatSessionList = ResponseOf<'/api/chatkit/sessions', 'get', { data: ChatSessionInfoFallback[] }>;
export type ChatSessionInfo = ChatSessionList['data'][number];

export type WorkflowAnalytics = ResponseOf<'/api/workflows/{id}/analytics', 'get', never>;
export type AnalyticsBucket = WorkflowAnalytics['buckets'][number];

export type TranscriptPage = ResponseOf<'/api/workflows/{id}/transcripts', 'get', CursorPage<TranscriptThreadFallback>>;
export type TranscriptThread = TranscriptPage['data'][number];
export type TranscriptDetail = ResponseOf<
  '/api/workflows/{id}/transcripts/{threadId}',
  'get',
  TranscriptThreadFallback & { items: TranscriptItemFallback[] }
>;

export type OidcSession = ResponseOf<
  '/api/auth/session',
  'get',
  { authenticated: false } | { authenticated: true; subject: string; email?: string; name?: string; expiresAt: string }
>;

/** An agent tool as the API takes and returns it (header values come back as `***`). */
export type AgentTool = components['schemas']['AgentToolDto'];
export type ToolType = AgentTool['type'];
export type HttpMethod = NonNullable<AgentTool['method']>;

export type WorkflowVersionPage = ResponseOf<'/api/workflows/{id}/versions', 'get', CursorPage<WorkflowVersionFallback>>;
export type WorkflowVersion = WorkflowVersionPage['data'][number];
export type VersionChange = ResponseOf<'/api/workflows/{id}/versions', 'post', { workflow: Workflow; version: WorkflowVersion }>;
export type ToolTestResult = ResponseOf<'/api/workflows/{id}/tools/test', 'post', ToolTestFallback>;

/** Host-app integration (docs/embedding.md, sections 7 and 8): server keys, end-user sessions, the webhook signing secret. */
export type ServerKeyList = ResponseOf<'/api/workflows/{id}/server-keys', 'get', { keys: ServerKeyFallback[] }>;
export type ServerKey = ServerKeyList['keys'][number];
export type CreatedServerKey = ResponseOf<'/api/workflows/{id}/server-keys', 'post', { id: string; name: string; key: string; createdAt: string }>;
export type HostSessionList = ResponseOf<'/api/workflows/{id}/end-user-sessions', 'get', { data: HostSessionFallback[] }>;
export type HostSession = HostSessionList['data'][number];
export type WebhookSecret = ResponseOf<'/api/workflows/{id}/webhook-secret', 'post', { secret: string }>;

interface ServerKeyFallback {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface HostSessionFallback {
  id: string;
  user: { id: string; email: string | null; name: string | null };
  deviceId: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string;
  revokedAt: string | null;
}
