import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ERROR_CATALOG, ErrorCode } from './error-codes';
import { ErrorResponseDto } from './error-response.dto';

/**
 * Documents the error responses a route can produce, grouped by status, all pointing at the
 * one shared `ErrorResponse` schema. `validation_failed` and `internal_error` are implied.
 */
export function ApiErrors(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, Set<ErrorCode>>();
  for (const code of new Set<ErrorCode>([...codes, 'internal_error'])) {
    const status = ERROR_CATALOG[code].status;
    byStatus.set(status, (byStatus.get(status) ?? new Set()).add(code));
  }
  return applyDecorators(
    ...[...byStatus.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, set]) =>
        ApiResponse({ status, type: ErrorResponseDto, description: [...set].map((c) => `\`${c}\``).join(', ') }),
      ),
  );
}
