import { Writable } from 'node:stream';

/**
 * Development logs: one readable line per pino JSON line (`LOG_FORMAT=pretty`, the default when NODE_ENV is
 * development). Production and tests keep JSON. No dependency: pino's JSON is parsed back and printed as
 *
 *   14:03:07 INFO  [Bootstrap] Parley is listening  port=3000
 *   14:03:09 INFO  GET /api/workflows 200 12ms  req=4f0c…  principalKind=user
 *
 * Redaction already happened in pino, so nothing secret reaches this stream that would not reach the JSON one.
 */
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Keys already shown, or too noisy for one line (the request serializer's headers). */
const SHOWN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'context', 'service', 'req', 'res', 'responseTime', 'err']);

export function formatLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line; // not pino's: pass through untouched
  }
  if (!entry || typeof entry !== 'object') return line;
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 19) : '--:--:--';
  const level = (LEVELS[Number(entry.level)] ?? String(entry.level ?? '')).padEnd(5);
  const parts = [time, level];
  if (typeof entry.context === 'string') parts.push(`[${entry.context}]`);

  const req = entry.req as { id?: string; method?: string; url?: string } | undefined;
  const res = entry.res as { statusCode?: number } | undefined;
  if (req?.method && res?.statusCode !== undefined) {
    // The request-completed / request-errored line (request-logging.ts): the request itself is the message.
    const ms = typeof entry.responseTime === 'number' ? ` ${Math.round(entry.responseTime)}ms` : '';
    parts.push(`${req.method} ${req.url ?? ''} ${res.statusCode}${ms}`);
  } else if (typeof entry.msg === 'string') {
    parts.push(entry.msg);
  }

  const extras: string[] = [];
  if (req?.id) extras.push(`req=${req.id}`);
  for (const [key, value] of Object.entries(entry)) {
    if (SHOWN.has(key) || value === undefined || value === null) continue;
    extras.push(`${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  const err = entry.err as { type?: string; message?: string; stack?: string } | undefined;
  if (err?.message) extras.push(`err=${err.type ? `${err.type}: ` : ''}${err.message}`);
  let text = parts.join(' ');
  if (extras.length) text += `  ${extras.join('  ')}`;
  // Stacks stay multi-line: they are read, not grepped.
  if (err?.stack && Number(entry.level) >= 50) text += `\n${err.stack}`;
  return text;
}

/** A stream pino can write JSON lines to; writes one formatted line per JSON line to `out`. */
export function prettyLogStream(out: NodeJS.WritableStream): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      const text = lines.filter(Boolean).map(formatLogLine).join('\n');
      if (text) out.write(`${text}\n`);
      done();
    },
    final(done) {
      if (pending) out.write(`${formatLogLine(pending)}\n`);
      done();
    },
  });
}

/**
 * Nest's start-up chatter ("XModule dependencies initialized", one "Mapped {/api/…}" line per route): useful when
 * debugging wiring, noise otherwise. Logged at debug instead of info, in every format.
 */
export const NOISY_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);
