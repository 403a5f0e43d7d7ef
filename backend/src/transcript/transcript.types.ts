/** Who owns a transcript row: the principal kinds that can chat (owners through chat JWTs, visitors, OIDC users). */
export type TranscriptPrincipalKind = 'user' | 'visitor' | 'oauth' | 'host';

/** The identity transcript rows are keyed by; `id` is the user id, visitor id, OIDC `iss|sub` or the host app's user id (scoped by the workflow). */
export interface TranscriptPrincipal {
  kind: TranscriptPrincipalKind;
  id: string;
}

/**
 * The tenancy of every transcript query: a workflow and a principal. Rows of another workflow or
 * another principal are indistinguishable from missing ones.
 */
export interface TranscriptScope {
  workflowId: string;
  principal: TranscriptPrincipal;
}

/**
 * What every store call of the chat protocol runs in (`ChatStore<TranscriptContext>`): the scope its
 * rows are keyed by, plus the facts recorded on writes. A chat request's `ChatContext` is one.
 */
export interface TranscriptContext {
  scope: TranscriptScope;
  /** The published version that answers, recorded on items written; null or absent: the draft. */
  workflowVersion?: number | null;
  /** How the conversation came in, recorded on threads created (absent: `api`). */
  channel?: string;
  /** A chat session check still owed (canvas chat tokens on the ChatKit route); see `SessionGate`. */
  session?: SessionGate;
}

/** What the upload and preview routes need to know about an attachment besides its protocol shape. */
export interface AttachmentUploadState {
  id: string;
  mimeType: string;
  /** Size declared by `attachments.create`, when known. */
  declaredSize: number | null;
  uploadedAt: Date | null;
  /** The thread of the message it was sent in; null while not sent. */
  threadId: string | null;
}

/** Uploaded bytes of an image, served through a signed preview URL. */
export interface AttachmentPreview {
  bytes: Buffer;
  contentType: string;
}

/** What a chat session check reads (`chat_sessions`), alone or folded into a transcript statement. */
export interface ChatSessionState {
  /** Not revoked and not expired. */
  active: boolean;
  /** `last_used_at` is older than the resolution asked for (or unset): worth a touch. */
  stale: boolean;
}

/** The row a chat session check looks for: the token's session, user and workflow. */
export interface ChatSessionCheck {
  sessionId: string;
  userId: string;
  workflowId: string;
  /** `stale` means `last_used_at` older than this. */
  staleSeconds: number;
}

/**
 * A chat session check still owed by the request (canvas chat tokens on `/api/chatkit`): the first
 * transcript statement of the request reads the session row too (one round trip instead of two),
 * and nothing is written unless the session is active. Every other store call runs the check on
 * its own first; the gateway runs it before answering anything, errors included.
 */
export interface SessionGate {
  /** The check to fold into the next statement, or null when it ran or is running; the caller must `settle` or `fail`. */
  claim(): ChatSessionCheck | null;
  /** Applies what the folded statement read (undefined: no such row); throws when the session may not chat. */
  settle(state: ChatSessionState | undefined): Promise<void>;
  /** The folded statement failed: the check is run on its own by whoever asks next. */
  fail(): void;
  /** Runs the check on its own unless it ran; rejects like `settle` when the session may not chat. */
  check(): Promise<void>;
}
