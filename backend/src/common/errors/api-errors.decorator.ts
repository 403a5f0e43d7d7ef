import { ApiResponse } from '@nestjs/swagger';
import { ERROR_CATALOG, ErrorCode } from './error-codes';
import { ErrorResponseDto } from './error-response.dto';

const API_ERROR_CODES = 'parley:api-error-codes';
/** `SWAGGER_API_RESPONSE` of @nestjs/swagger, which its package exports do not expose. */
const SWAGGER_API_RESPONSE = 'swagger/apiResponse';

/**
 * Documents the error responses a route can produce, grouped by status, all pointing at the
 * one shared `ErrorResponse` schema. `validation_failed` and `internal_error` are implied.
 *
 * Several `ApiErrors` on one route (for instance the one `@Auth()` writes plus the route's own)
 * accumulate: the codes are kept in metadata and each status is re-rendered from the union, so
 * a 403 lists `forbidden` and a route's own 403 codes together instead of one overwriting the other.
 */
export function ApiErrors(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  return (target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const holder: object = descriptor ? (descriptor.value as object) : target;
    const previous = (Reflect.getMetadata(API_ERROR_CODES, holder) as ErrorCode[] | undefined) ?? [];
    const all = new Set<ErrorCode>([...previous, ...codes, 'internal_error']);
    Reflect.defineMetadata(API_ERROR_CODES, [...all], holder);

    const byStatus = new Map<number, ErrorCode[]>();
    for (const code of all) {
      const status = ERROR_CATALOG[code].status;
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
    // Drop the entries this decorator wrote before, so ApiResponse does not concatenate descriptions.
    const responses = (Reflect.getMetadata(SWAGGER_API_RESPONSE, holder) as Record<string, unknown> | undefined) ?? {};
    const kept = Object.fromEntries(Object.entries(responses).filter(([status]) => !byStatus.has(Number(status))));
    Reflect.defineMetadata(SWAGGER_API_RESPONSE, kept, holder);

    for (const [status, list] of [...byStatus.entries()].sort(([a], [b]) => a - b)) {
      const description = list.map((c) => `\`${c}\``).join(', ');
      if (descriptor) ApiResponse({ status, type: ErrorResponseDto, description })(target, key!, descriptor);
      else ApiResponse({ status, type: ErrorResponseDto, description })(target as never);
    }
    return descriptor as never;
  };
}
