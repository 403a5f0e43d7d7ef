import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { normaliseEmail } from '../email';

/** Composite field decorators: the validation rule and its OpenAPI description in one place. */

export const EmailField = (): PropertyDecorator =>
  applyDecorators(
    ApiProperty({ example: 'ada@example.com', maxLength: 254, description: 'Trimmed and lower-cased before use.' }),
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? normaliseEmail(value) : value)),
    IsEmail(),
    MaxLength(254),
  );

export const NewPasswordField = (): PropertyDecorator =>
  applyDecorators(
    ApiProperty({ minLength: 10, maxLength: 128, format: 'password', example: 'correct horse battery staple' }),
    IsString(),
    MinLength(10),
    MaxLength(128),
  );

/** Login accepts any stored password length policy may once have allowed; only the upper bound protects the hasher. */
export const PasswordField = (): PropertyDecorator =>
  applyDecorators(ApiProperty({ minLength: 1, maxLength: 128, format: 'password' }), IsString(), MinLength(1), MaxLength(128));

export const OptionalNameField = (maxLength: number, description: string): PropertyDecorator =>
  applyDecorators(
    ApiPropertyOptional({ maxLength, description }),
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value)),
    IsOptional(),
    IsString(),
    MinLength(1),
    MaxLength(maxLength),
  );

export const RequiredNameField = (maxLength: number, description: string): PropertyDecorator =>
  applyDecorators(
    ApiProperty({ maxLength, description }),
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value)),
    IsString(),
    MinLength(1),
    MaxLength(maxLength),
  );
