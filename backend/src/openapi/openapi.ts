import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/errors/error-response.dto';

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
    // Scheme names are part of the contract (ARCHITECTURE §9); `@Auth(...)` refers to them.
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
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ErrorResponseDto] });
  return sortKeys(document) as OpenAPIObject;
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
