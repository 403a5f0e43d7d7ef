import { ArgumentsHost, Catch, ExceptionFilter, HttpException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { browserErrorPage, wantsErrorPage } from './browser-error-page';
import { DomainError, ErrorDetails } from './domain-error';
import { ErrorCode, statusOf } from './error-codes';
import { bodyReadFailure } from '../http/body-errors';
import { requestIdOf } from '../http/request-id';
import { ContextLogger, requestLog } from '../logging/request-log';

interface Rendered {
  code: ErrorCode;
  message: string;
  details?: ErrorDetails;
  headers?: Record<string, string>;
}

const HTTP_STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'validation_failed',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'service_unavailable',
};

/**
 * The single place where errors become HTTP responses. Domain errors keep their code;
 * framework errors are mapped to the catalog; anything else is a 500 without internals.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new ContextLogger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    const rendered = this.render(exception, req);
    const status = statusOf(rendered.code);
    if (res.headersSent) {
      // A stream already started: the protocol layer reports in-band; just end it.
      res.end();
      return;
    }
    for (const [name, value] of Object.entries(rendered.headers ?? {})) res.setHeader(name, value);
    if (wantsErrorPage(req)) {
      res.status(status).type('html').send(browserErrorPage({ code: rendered.code, message: rendered.message, requestId: requestIdOf(req, res), details: rendered.details }));
      return;
    }
    res.status(status).json({
      statusCode: status,
      code: rendered.code,
      message: rendered.message,
      requestId: requestIdOf(req, res),
      ...(rendered.details ? { details: rendered.details } : {}),
    });
  }

  private render(exception: unknown, req: Request): Rendered {
    if (exception instanceof DomainError) {
      return { code: exception.code, message: exception.message, details: exception.details, headers: exception.headers };
    }
    // Backstop for a body parser whose errors were not mapped where it runs.
    const body = bodyReadFailure(exception, { unreadable: 'invalid_json' });
    if (body) return { code: body.code, message: body.message };
    const db = databaseFailure(exception);
    if (db === 'unavailable') {
      this.logger.in(requestLog(req)).warn({ err: exception, method: req.method, path: req.path }, 'Database unavailable');
      return { code: 'service_unavailable', message: 'The database is unavailable; retry shortly.', headers: { 'Retry-After': '5' } };
    }
    if (db === 'bad_text') {
      return { code: 'validation_failed', message: 'A value of the request is not valid text or not valid for its field.' };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = HTTP_STATUS_CODES[status];
      if (code === 'not_found') return { code, message: `No route for ${req.method} ${req.path}.` };
      if (code) return { code, message: messageOf(exception) };
    }
    this.logger.in(requestLog(req)).error(
      { err: exception, method: req.method, path: req.path },
      exception instanceof Error ? exception.message : 'Non-error thrown',
    );
    return { code: 'internal_error', message: 'An unexpected error occurred.' };
  }
}

function messageOf(exception: HttpException): string {
  const body = exception.getResponse();
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown }).message;
  if (typeof message === 'string') return message;
  return exception.message;
}

/** PostgreSQL SQLSTATE classes meaning "cannot talk to the database right now". */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0)/;
/** Socket-level failures of the `pg` driver. */
const UNAVAILABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);
const UNAVAILABLE_MESSAGE = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is closed|Cannot use a pool after calling end/i;
/**
 * Text PostgreSQL refuses (NUL, invalid escapes, a malformed uuid or number in a parameter):
 * 22021 character_not_in_repertoire, 22P05 untranslatable_character, 22P02 invalid_text_representation.
 */
const BAD_TEXT_SQLSTATE = new Set(['22021', '22P05', '22P02']);

/** Classifies database errors the client should see as 503 or 400 instead of 500. */
export function databaseFailure(exception: unknown): 'unavailable' | 'bad_text' | null {
  if (!exception || typeof exception !== 'object') return null;
  const e = exception as { code?: unknown; driverError?: { code?: unknown }; message?: unknown };
  const code = typeof e.driverError?.code === 'string' ? e.driverError.code : typeof e.code === 'string' ? e.code : undefined;
  if (code && BAD_TEXT_SQLSTATE.has(code)) return 'bad_text';
  if (code && (UNAVAILABLE_ERRNO.has(code) || (/^[0-9A-Z]{5}$/.test(code) && UNAVAILABLE_SQLSTATE.test(code)))) return 'unavailable';
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return 'unavailable';
  return null;
}
