import type { INestApplication } from '@nestjs/common';
import { METHOD_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ApiErrors } from '../common/errors/api-errors.decorator';
import type { ErrorCode } from '../common/errors/error-codes';
import { ErrorResponseDto } from '../common/errors/error-response.dto';
import { SKIP_RATE_LIMIT_KEY } from '../ratelimit/ratelimit.decorators';

export const OPENAPI_JSON_PATH = 'api/docs-json';

/** Builds the OpenAPI document from the app's decorators. The error schema is declared once. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Parley API')
    .setDescription(
      'Publish a workflow as a secure, embeddable ChatKit chat. Every error answers with the `ErrorResponse` body; ' +
        'codes are listed in docs/errors.md.',
    )
    .setVersion('0.1.0')
    // Scheme names are part of the contract (docs/security.md, The model); `@Auth(...)` refers to them.
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT or pat_…',
        description:
          'Owner access JWT (`aud=parley-api`, 15 min) or personal access token `pat_…`; chat session JWTs on ' +
          '`/api/chatkit`. Browsers may rely on the HttpOnly `parley_access` cookie instead (subject to the CSRF check).',
      },
      'bearer',
    )
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Parley-Publish-Token', description: 'Share-link token `pub_…`.' }, 'publishToken')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Parley-Visitor', description: 'Server-signed visitor token.' }, 'visitorToken')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'wsk_…',
        description: 'Workflow server key `wsk_…`: a host application\'s backend minting end-user sessions. Refused from browsers.',
      },
      'serverKey',
    )
    .addCookieAuth('parley_oauth', { type: 'apiKey', in: 'cookie', description: 'OAuth session set after OIDC login.' }, 'oauthSession')
    .build();
  documentImpliedErrors(app);
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ErrorResponseDto] });
  return sortKeys(document) as OpenAPIObject;
}

/**
 * Adds to every route the errors that layers in front of its handler can answer, so no operation
 * documents fewer errors than it can produce:
 * - the global rate limiter (every route without `@SkipRateLimit()`): 429 `rate_limited`, and 503
 *   `rate_limit_unavailable` while Redis is unreachable;
 * - the JSON body parser and validation pipe (routes reading `@Body()`): `invalid_json`,
 *   `validation_failed`, `payload_too_large`, `unsupported_media_type`;
 * - every route: 500 `internal_error` (written by `ApiErrors` itself).
 * `ApiErrors` accumulates per handler, so this is idempotent and merges with each route's own codes.
 */
function documentImpliedErrors(app: INestApplication): void {
  const discovery = app.get(DiscoveryService, { strict: false });
  const reflector = app.get(Reflector, { strict: false });
  for (const wrapper of discovery.getControllers()) {
    const controller = wrapper.metatype as (new (...args: never[]) => object) | undefined;
    if (!controller || !wrapper.instance) continue;
    const prototype = Object.getPrototypeOf(wrapper.instance) as object;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const descriptor = Object.getOwnPropertyDescriptor(prototype, name);
      const handler = descriptor?.value as ((...args: unknown[]) => unknown) | undefined;
      if (!descriptor || typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
      const codes: ErrorCode[] = [];
      if (reflector.getAllAndOverride<boolean>(SKIP_RATE_LIMIT_KEY, [handler, controller]) !== true) {
        codes.push('rate_limited', 'rate_limit_unavailable');
      }
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) ?? {}) as Record<string, unknown>;
      if (Object.keys(args).some((key) => key.startsWith(`${RouteParamtypes.BODY}:`))) {
        codes.push('invalid_json', 'validation_failed', 'payload_too_large', 'unsupported_media_type');
      }
      ApiErrors(...codes)(prototype, name, descriptor);
    }
  }
}

export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('api/docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    customSiteTitle: 'Parley API',
  });
}

/** Stable key order so the committed document only changes when the API does. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
