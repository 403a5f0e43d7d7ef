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
