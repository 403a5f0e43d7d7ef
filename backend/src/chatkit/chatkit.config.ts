import { registerAs } from '@nestjs/config';
import { IsInt, Max, Min } from 'class-validator';
import { ConfigError, EnvVar, env, envInt, validateConfig } from '../config/env';

/** Hard ceiling of a chat session JWT's lifetime (ARCHITECTURE §3): configuration may lower it, never raise it. */
export const CHAT_TOKEN_MAX_TTL_SECONDS = 300;

export const CHATKIT_ENV: EnvVar[] = [
  {
    name: 'CHATKIT_BODY_LIMIT',
    description: 'Maximum body of `POST /api/chatkit` (e.g. `10mb`); `input.transcribe` carries base64 audio.',
    example: '10mb',
    default: '10mb',
  },
  {
    name: 'CHATKIT_UPLOAD_LIMIT',
    description: 'Maximum size of one attachment upload (`PUT /api/chatkit/uploads/:id`), e.g. `10mb`.',
    example: '10mb',
    default: '10mb',
  },
  {
    name: 'CHATKIT_PENDING_ATTACHMENTS_PER_PRINCIPAL',
    description: 'Attachments one principal (visitor, chat user, OIDC user) may hold that are not yet sent in a message; more answer 429 `attachment_quota_exceeded`.',
    example: '20',
    default: '20',
  },
  {
    name: 'CHATKIT_PENDING_ATTACHMENTS_PER_WORKFLOW',
    description: 'Attachments not yet sent in a message, all principals of one workflow together.',
    example: '1000',
    default: '1000',
  },
  {
    name: 'CHATKIT_PENDING_ATTACHMENT_TTL',
    description: 'Seconds after which an attachment never sent in a message is deleted (with its bytes, if uploaded).',
    example: '3600',
    default: '3600',
  },
  {
    name: 'CHATKIT_PREVIEW_URL_TTL',
    description: 'Lifetime, in seconds, of the signed image preview URLs handed to the chat client (regenerated on every load).',
    example: '900',
    default: '900',
  },
  {
    name: 'CHAT_TOKEN_TTL_SECONDS',
    description: 'Lifetime of canvas chat session JWTs, in seconds; at most 300.',
    example: '300',
    default: '300',
  },
  {
    name: 'CHAT_SESSION_TTL',
    description: 'Lifetime, in seconds, of a durable chat session (the record behind the chat JWTs of one device); reused until it has less than an hour left.',
    example: '86400',
    default: '86400 (24 h)',
  },
  {
    name: 'CHAT_SESSION_CLEANUP_INTERVAL',
    description: 'How often, in seconds, expired chat sessions are deleted.',
    example: '3600',
    default: '3600',
  },
  {
    name: 'VISITOR_TOKEN_TTL',
    description: 'Lifetime, in seconds, of the anonymous visitor tokens (`X-Parley-Visitor`) of public chats; renewed while used.',
    example: '2592000',
    default: '2592000 (30 days)',
  },
];

export class ChatKitConfig {
  @IsInt()
  @Min(1024)
  bodyLimitBytes: number;

  @IsInt()
  @Min(1)
  uploadLimitBytes: number;

  @IsInt()
  @Min(30)
  @Max(86400)
  previewUrlTtlSeconds: number;

  @IsInt()
  @Min(1)
  pendingAttachmentsPerPrincipal: number;

  @IsInt()
  @Min(1)
  pendingAttachmentsPerWorkflow: number;

  /** Unsent attachments older than this are swept (and no longer count against the quotas). */
  @IsInt()
  @Min(60)
  @Max(30 * 86400)
  pendingAttachmentTtlSeconds: number;

  @IsInt()
  @Min(30)
  @Max(CHAT_TOKEN_MAX_TTL_SECONDS)
  chatTokenTtlSeconds: number;

  /** Durable chat session lifetime (`chat_sessions.expires_at - created_at`). */
  @IsInt()
  @Min(7200)
  @Max(366 * 86400)
  chatSessionTtlSeconds: number;

  @IsInt()
  @Min(1)
  chatSessionCleanupSeconds: number;

  @IsInt()
  @Min(3600)
  @Max(366 * 86400)
  visitorTokenTtlSeconds: number;

  /** A silent stream gets a `: keep-alive` comment after this long (ARCHITECTURE §9: 15 s); tests shorten it. */
  @IsInt()
  @Min(1)
  keepAliveMs: number;
}

const SIZE = /^(\d+)\s*(b|kb|mb|gb)?$/i;
const UNIT: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** `10mb`, `512kb`, `1048576` → bytes (binary units, as Express' body limits). */
export function parseByteSize(name: string, value: string): number {
  const match = SIZE.exec(value.trim());
  if (!match) throw new ConfigError(`${name} must be a size such as 10mb, 512kb or a byte count, got "${value}".`);
  return Number(match[1]) * UNIT[(match[2] ?? 'b').toLowerCase()];
}

export function loadChatKitConfig(source: NodeJS.ProcessEnv = process.env): ChatKitConfig {
  const ttl = envInt('CHAT_TOKEN_TTL_SECONDS', CHAT_TOKEN_MAX_TTL_SECONDS, source);
  if (ttl > CHAT_TOKEN_MAX_TTL_SECONDS) {
    throw new ConfigError(`CHAT_TOKEN_TTL_SECONDS must not exceed ${CHAT_TOKEN_MAX_TTL_SECONDS} (chat session tokens live at most 5 minutes), got ${ttl}.`);
  }
  return validateConfig(
    'chatkit',
    ChatKitConfig,
    {
      bodyLimitBytes: parseByteSize('CHATKIT_BODY_LIMIT', env('CHATKIT_BODY_LIMIT', source) ?? '10mb'),
      uploadLimitBytes: parseByteSize('CHATKIT_UPLOAD_LIMIT', env('CHATKIT_UPLOAD_LIMIT', source) ?? '10mb'),
      previewUrlTtlSeconds: envInt('CHATKIT_PREVIEW_URL_TTL', 900, source),
      pendingAttachmentsPerPrincipal: envInt('CHATKIT_PENDING_ATTACHMENTS_PER_PRINCIPAL', 20, source),
      pendingAttachmentsPerWorkflow: envInt('CHATKIT_PENDING_ATTACHMENTS_PER_WORKFLOW', 1000, source),
      pendingAttachmentTtlSeconds: envInt('CHATKIT_PENDING_ATTACHMENT_TTL', 3600, source),
      chatTokenTtlSeconds: ttl,
      chatSessionTtlSeconds: envInt('CHAT_SESSION_TTL', 86400, source),
      chatSessionCleanupSeconds: envInt('CHAT_SESSION_CLEANUP_INTERVAL', 3600, source),
      visitorTokenTtlSeconds: envInt('VISITOR_TOKEN_TTL', 30 * 86400, source),
      keepAliveMs: 15_000,
    },
    CHATKIT_ENV,
    source,
  );
}

export const chatkitConfig = registerAs('chatkit', () => loadChatKitConfig());
