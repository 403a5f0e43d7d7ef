import { ApiProperty } from '@nestjs/swagger';
import { UserEntity } from '../entities/user.entity';
import { EmailField, NewPasswordField, OptionalNameField, PasswordField } from './fields';

export class RegisterDto {
  @EmailField()
  email: string;

  @NewPasswordField()
  password: string;

  @OptionalNameField(100, 'Display name.')
  name?: string;
}

export class LoginDto {
  @EmailField()
  email: string;

  @PasswordField()
  password: string;
}

export class UserResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'ada@example.com' })
  email: string;

  @ApiProperty({ type: String, nullable: true, example: 'Ada' })
  name: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt: string;
}

export class UserEnvelope {
  @ApiProperty({ type: UserResponse })
  user: UserResponse;
}

export class SessionResponse {
  @ApiProperty({ type: UserResponse })
  user: UserResponse;

  @ApiProperty({ description: 'ES256 JWT (`aud=parley-api`); also set as the HttpOnly `parley_access` cookie.' })
  accessToken: string;

  @ApiProperty({ description: 'Seconds until `accessToken` expires.', example: 900 })
  expiresIn: number;
}

/** The one mapping from the entity to what the API shows (never the password hash). */
export function toUserResponse(user: UserEntity): UserResponse {
  return { id: user.id, email: user.email, name: user.name, createdAt: user.createdAt.toISOString() };
}
