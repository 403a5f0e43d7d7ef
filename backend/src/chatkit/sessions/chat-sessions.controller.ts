import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentPrincipal } from '../../auth/auth.decorators';
import type { UserPrincipal } from '../../auth/principal';
import { ApiErrors } from '../../common/errors/api-errors.decorator';
import { ParseUuidPipe } from '../../common/http/parse-uuid.pipe';
import { ChatSessionsService } from './chat-sessions.service';

/** `POST /api/workflows/:id/chatkit/session` answer. */
export class ChatSessionResponseDto {
  @ApiProperty({ description: 'Chat session JWT (ES256, `aud=parley-chat`) for `Authorization: Bearer` on `/api/chatkit`.' })
  token: string;

  @ApiProperty({ format: 'date-time', description: 'When the token stops being accepted (at most 5 minutes from now); ask for a new one before.' })
  expiresAt: string;

  @ApiProperty({ format: 'uuid', description: 'The session the token belongs to (`sid`).' })
  sessionId: string;
}

@ApiTags('chatkit')
@Controller('api/workflows/:id/chatkit')
export class ChatSessionsController {
  constructor(private readonly sessions: ChatSessionsService) {}

  @Post('session')
  @HttpCode(200)
  @Auth('jwt')
  @ApiOperation({
    summary: 'Issue a 5-minute chat session token for one of your workflows (the canvas chat bubble)',
    description: 'Call again before `expiresAt` to keep chatting; every call returns a fresh token.',
  })
  @ApiOkResponse({ type: ChatSessionResponseDto })
  @ApiErrors('validation_failed', 'not_found', 'feature_disabled')
  async issue(@CurrentPrincipal('user') user: UserPrincipal, @Param('id', ParseUuidPipe) workflowId: string): Promise<ChatSessionResponseDto> {
    return this.sessions.issue(user.userId, workflowId);
  }
}
