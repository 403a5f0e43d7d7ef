import { api, apiUrl } from './client';
import type {
  AgentTool,
  AuditPage,
  ChatSessionInfo,
  ChatSessionList,
  ChatSessionToken,
  CreatedServerKey,
  HostSessionList,
  ServerKeyList,
  WebhookSecret,
  CreateWorkflowBody,
  IssuedLink,
  LoginBody,
  LoginResponse,
  MeResponse,
  OidcSession,
  PublicWorkflow,
  RegisterBody,
  RegisterResponse,
  TranscriptDetail,
  TranscriptPage,
  UpdateWorkflowBody,
  ToolTestResult,
  WorkflowAnalytics,
  User,
  VersionChange,
  Workflow,
  WorkflowPage,
  WorkflowVersionPage,
} from './types';

/** `/api/...` calls of the owner app and the public page, one function per route (docs/openapi.json). */

const id = (value: string) => encodeURIComponent(value);

export const authApi = {
  /** The signed-in owner. */
  me: async (): Promise<User> => (await api<MeResponse>('/auth/me')).user,
  login: (body: LoginBody) => api<LoginResponse>('/auth/login', { method: 'POST', body }),
  /** Does not sign in: call `login` next. */
  register: (body: RegisterBody) => api<RegisterResponse>('/auth/register', { method: 'POST', body }),
  logout: () => api<void>('/auth/logout', { method: 'POST' }),
  /** The visitor's OpenID Connect session (public pages with `requireLogin`). */
  oidcSession: () => api<OidcSession>('/auth/session'),
  /** Where the OIDC code flow starts; the server redirects back to `returnTo` (same-origin path). */
  /** End-user sign-in for `requireLogin` chats (an OAuth session, not an owner account). */
  oidcLoginUrl: (returnTo: string) => apiUrl('/auth/oidc/login', { returnTo }),
  /** Owner sign-in through OpenID Connect: a verified email links to or creates the owner account. */
  ownerSsoUrl: (returnTo: string) => apiUrl('/auth/oidc/owner/login', { returnTo }),
};

export const workflowsApi = {
  list: (cursor?: string | null) => api<WorkflowPage>('/workflows', { query: { limit: 50, cursor } }),
  get: (workflowId: string) => api<Workflow>(`/workflows/${id(workflowId)}`),
  create: (body: CreateWorkflowBody) => api<Workflow>('/workflows', { method: 'POST', body }),
  update: (workflowId: string, body: UpdateWorkflowBody) =>
    api<Workflow>(`/workflows/${id(workflowId)}`, { method: 'PATCH', body }),
  remove: (workflowId: string) => api<void>(`/workflows/${id(workflowId)}`, { method: 'DELETE' }),
};

export const publishApi = {
  publish: (workflowId: string, requireLogin: boolean) =>
    api<IssuedLink>(`/workflows/${id(workflowId)}/publish`, { method: 'POST', body: { requireLogin } }),
  rotate: (workflowId: string) => api<IssuedLink>(`/workflows/${id(workflowId)}/publish/rotate`, { method: 'POST', body: {} }),
  revoke: (workflowId: string) => api<Workflow>(`/workflows/${id(workflowId)}/publish/revoke`, { method: 'POST' }),
  /** The login toggle without rotating the link (`PATCH /workflows/:id/publish`). */
  setRequireLogin: (workflowId: string, requireLogin: boolean) =>
    api<Workflow>(`/workflows/${id(workflowId)}/publish`, { method: 'PATCH', body: { requireLogin } }),
  publicInfo: (workflowId: string) => api<PublicWorkflow>(`/workflows/${id(workflowId)}/public`),
  audit: (workflowId: string, cursor?: string | null) =>
    api<AuditPage>(`/workflows/${id(workflowId)}/audit`, { query: { limit: 50, cursor } }),
};

/** Published versions (docs/publishing.md, Versions): the public runs the published one, the canvas bubble the draft. */
export const versionsApi = {
  list: (workflowId: string, cursor?: string | null) =>
    api<WorkflowVersionPage>(`/workflows/${id(workflowId)}/versions`, { query: { limit: 50, cursor } }),
  /** Publishes the draft as a new version (the workflow must be public). */
  publishDraft: (workflowId: string) => api<VersionChange>(`/workflows/${id(workflowId)}/versions`, { method: 'POST' }),
  rollback: (workflowId: string, version: number) =>
    api<VersionChange>(`/workflows/${id(workflowId)}/versions/${version}/rollback`, { method: 'POST' }),
};

export const toolsApi = {
  /** Tries an http/mcp tool from the editor (MCP lists its tools); `***` headers are filled from the saved tool. */
  test: (workflowId: string, tool: AgentTool) =>
    api<ToolTestResult>(`/workflows/${id(workflowId)}/tools/test`, { method: 'POST', body: { tool } }),
};

export interface TranscriptFilters {
  /** ISO 8601 instants. */
  from?: string;
  to?: string;
  principalKind?: string;
  q?: string;
}

export type ExportFormat = 'jsonl' | 'csv';

export const transcriptsApi = {
  list: (workflowId: string, filters: TranscriptFilters, cursor?: string | null) =>
    api<TranscriptPage>(`/workflows/${id(workflowId)}/transcripts`, { query: { ...filters, limit: 50, cursor } }),
  /** One page of a thread's items (the first without `cursor`; then the previous page's `nextCursor`). */
  thread: (workflowId: string, threadId: string, cursor?: string | null) =>
    api<TranscriptDetail>(`/workflows/${id(workflowId)}/transcripts/${id(threadId)}`, { query: { cursor } }),
  remove: (workflowId: string, threadId: string) =>
    api<void>(`/workflows/${id(workflowId)}/transcripts/${id(threadId)}`, { method: 'DELETE' }),
  /** A download link (cookie-authenticated GET). */
  exportUrl: (workflowId: string, format: ExportFormat) =>
    apiUrl(`/workflows/${id(workflowId)}/transcripts/export`, { format }),
};

export const analyticsApi = {
  /** Counts per bucket (`GET /workflows/:id/analytics`). */
  get: (workflowId: string, query: { from: string; to: string; granularity: 'hour' | 'day' | 'week' }) =>
    api<WorkflowAnalytics>(`/workflows/${id(workflowId)}/analytics`, { query }),
};

export const chatSessionsApi = {
  /** A 5-minute chat JWT for the canvas bubble. */
  create: (workflowId: string, device: { deviceId?: string; userAgent?: string } = {}) =>
    api<ChatSessionToken>(`/workflows/${id(workflowId)}/chatkit/session`, {
      method: 'POST',
      body: {
        ...(device.deviceId ? { deviceId: device.deviceId } : {}),
        ...(device.userAgent ? { metadata: { userAgent: device.userAgent.slice(0, 300) } } : {}),
      },
    }),
  /** The caller's chat sessions (`GET /chatkit/sessions`, `{data}`). */
  list: async (): Promise<ChatSessionInfo[]> => (await api<ChatSessionList>('/chatkit/sessions')).data,
  revoke: (sessionId: string) => api<void>(`/chatkit/sessions/${id(sessionId)}`, { method: 'DELETE' }),
  revokeAll: () => api<void>('/chatkit/sessions/revoke-all', { method: 'POST' }),
};

/** Host-app integration of a workflow: server keys (shown once), end-user sessions, the webhook signing secret. */
export const hostsApi = {
  keys: (workflowId: string) => api<ServerKeyList>(`/workflows/${id(workflowId)}/server-keys`),
  createKey: (workflowId: string, name: string) =>
    api<CreatedServerKey>(`/workflows/${id(workflowId)}/server-keys`, { method: 'POST', body: { name } }),
  revokeKey: (workflowId: string, keyId: string) =>
    api<void>(`/workflows/${id(workflowId)}/server-keys/${id(keyId)}`, { method: 'DELETE' }),
  sessions: (workflowId: string) => api<HostSessionList>(`/workflows/${id(workflowId)}/end-user-sessions`),
  revokeSession: (workflowId: string, sessionId: string) =>
    api<void>(`/workflows/${id(workflowId)}/end-user-sessions/${id(sessionId)}`, { method: 'DELETE' }),
  rotateWebhookSecret: (workflowId: string) => api<WebhookSecret>(`/workflows/${id(workflowId)}/webhook-secret`, { method: 'POST' }),
};
