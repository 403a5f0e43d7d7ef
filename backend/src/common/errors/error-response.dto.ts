import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { ERROR_CODES } from './error-codes';

/** The one error body every route answers with. */
@ApiSchema({ name: 'ErrorResponse' })
export class ErrorResponseDto {
  @ApiProperty({ example: 404 })
  statusCode: number;

  @ApiProperty({ enum: ERROR_CODES, enumName: 'ErrorCode', example: 'not_found' })
  code: string;

  @ApiProperty({ example: 'Not found.' })
  message: string;

  @ApiProperty({ example: '6f1c1d3e-2b6a-4f0e-9f55-0b8f0e2f6c1a' })
  requestId: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Machine-readable context, e.g. `fields` for validation errors.' })
  details?: Record<string, unknown>;
}
