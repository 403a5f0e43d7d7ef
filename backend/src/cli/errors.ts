/**
 * Exit codes of the `parley` CLI (documented in docs/cli.md). Scripts branch on these, so they
 * are part of the interface: never renumber them.
 */
export const ExitCode = {
  ok: 0,
  /** The API answered with an error not covered below, or the server could not be reached. */
  failure: 1,
  /** Wrong usage: bad arguments, an input the API rejected, a refused or declined confirmation. */
  usage: 2,
  /** Not signed in, or the token was refused. */
  auth: 3,
  notFound: 4,
  conflict: 5,
  /** Ctrl-C at a prompt (the shell convention 128 + SIGINT). */
  interrupted: 130,
} as const;

export interface CliErrorInfo {
  /** The API's error code (`not_found`, …) or a CLI code (`usage`, `network_error`, …). */
  code: string;
  /** HTTP status when the API answered. */
  status?: number;
  /** What to do next, e.g. "run `parley login`". */
  hint?: string;
  requestId?: string;
  details?: Record<string, unknown>;
}

/** An error the CLI reports as a message (never a stack) and turns into an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly info: CliErrorInfo,
  ) {
    super(message);
    this.name = 'CliError';
  }

  /** The `--json` error document: `{"error": {...}}`. */
  toJSON(): { error: Record<string, unknown> } {
    return { error: { ...this.info, message: this.message, exitCode: this.exitCode } };
  }
}

export function usageError(message: string, hint?: string): CliError {
  return new CliError(message, ExitCode.usage, { code: 'usage', hint });
}

/** Hints for one command, by what went wrong; the defaults cover the rest. */
export interface ErrorHints {
  notFound?: string;
  conflict?: string;
  auth?: string;
}

const DEFAULT_HINTS: Required<ErrorHints> = {
  notFound: 'run `parley workflow list` to see your workflows',
  conflict: '',
  auth: 'run `parley login`',
};

interface ApiErrorBody {
  code?: unknown;
  message?: unknown;
  requestId?: unknown;
  details?: unknown;
}

/** Maps an API error answer (the shared `ErrorResponse` body, or whatever a proxy sent) to a CliError. */
export function apiError(status: number, body: unknown, hints: ErrorHints = {}): CliError {
  const parsed: ApiErrorBody = typeof body === 'object' && body !== null ? body : {};
  const code = typeof parsed.code === 'string' ? parsed.code : `http_${status}`;
  let message = typeof parsed.message === 'string' && parsed.message ? parsed.message : `The API answered HTTP ${status}.`;
  const details = typeof parsed.details === 'object' && parsed.details !== null ? (parsed.details as Record<string, unknown>) : undefined;
  const info: CliErrorInfo = { code, status, requestId: typeof parsed.requestId === 'string' ? parsed.requestId : undefined, details };
  const h = { ...DEFAULT_HINTS, ...hints };

  const fields = details?.fields;
  if (typeof fields === 'object' && fields !== null) {
    const lines = Object.entries(fields as Record<string, unknown>).map(([field, problems]) => `  ${field}: ${[problems].flat().join('; ')}`);
    if (lines.length) message = `${message}\n${lines.join('\n')}`;
  }

  let exitCode: number = ExitCode.failure;
  if (status === 400) exitCode = ExitCode.usage;
  else if (status === 401 || code === 'forbidden' || code === 'csrf_failed') {
    exitCode = ExitCode.auth;
    info.hint = code === 'invalid_credentials' ? 'check the email and password' : h.auth;
  } else if (status === 404) {
    exitCode = ExitCode.notFound;
    // The API's answer for a route it does not have: the server is older than this command.
    info.hint = message.startsWith('No route for ') ? 'this server does not have the API route of this command; it may be older than the CLI' : h.notFound;
  } else if (status === 409) {
    exitCode = ExitCode.conflict;
    info.hint = h.conflict || undefined;
  } else if (status === 429) {
    const retry = details?.retryAfterSeconds;
    info.hint = typeof retry === 'number' ? `wait ${retry} s and try again` : 'wait a little and try again';
  } else if (code === 'feature_disabled') {
    info.hint = 'the server has this feature switched off; ask its operator';
  } else if (status >= 500) {
    info.hint = info.requestId ? `the server failed; quote request id ${info.requestId} when reporting it` : 'the server failed; try again later';
  }
  return new CliError(message, exitCode, info);
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
};

/** The first errno-style `code` in an error's cause chain (fetch wraps them: TypeError → cause → AggregateError). */
export function errnoOf(err: unknown, depth = 0): string | undefined {
  if (typeof err !== 'object' || err === null || depth > 5) return undefined;
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string') return e.code;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const code = errnoOf(inner, depth + 1);
      if (code) return code;
    }
  }
  return errnoOf(e.cause, depth + 1);
}

/** A request that never got an HTTP answer; the message names the URL so a wrong one is obvious. */
export function networkError(apiUrl: string, err: unknown): CliError {
  if (err instanceof CliError) return err;
  const errno = errnoOf(err);
  const reason = (errno && NETWORK_REASONS[errno]) || errno || (err instanceof Error ? err.message : String(err));
  return new CliError(`Cannot reach the Parley API at ${apiUrl}: ${reason}.`, ExitCode.failure, {
    code: 'network_error',
    hint: 'is the server running? Set the URL with --api-url or PARLEY_API_URL',
    details: errno ? { errno } : undefined,
  });
}
