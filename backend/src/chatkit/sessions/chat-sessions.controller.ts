import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth, CurrentPrincipal } from '../../auth/auth.decorators';
import type { UserPrincipal } from '../../auth/principal';
import { ApiErrors } from '../../common/errors/api-errors.decorator';
import { ParseUuidPipe } from '../../common/http/parse-uuid.pipe';
import { ChatSessionListDto, ChatSessionResponseDto, CreateChatSessionDto, RevokeAllChatSessionsDto } from './chat-sessions.dto';
import { ChatSessionsService } from './chat-sessions.service';

export { ChatSessionResponseDto } from './chat-sessions.dto';

@ApiTags('chatkit')
@Controller('api/workflows/:id/chatkit')
export class ChatSessionsController {
  constructor(private readonly sessions: ChatSessionsService) {}

  @Post('session')
  @HttpCode(200)
  @Auth('jwt')
  @ApiOperation({
    summary: 'Issue a 5-minute chat session token for one of your workflows (the canvas chat bubble)',
    description:
      'Reuses your active session for this device and workflow (a new one when there is none, or it expires within the hour; ' +
      'revoked and expired sessions are never reused) and mints a fresh token carrying its `sid`. Call again before `expiresAt` to keep chatting.',
  })
  @ApiOkResponse({ type: ChatSessionResponseDto })
  @ApiErrors('validation_failed', 'not_found', 'feature_disabled')
  async issue(
    @CurrentPrincipal('user') user: UserPrincipal,
    @Param('id', ParseUuidPipe) workflowId: string,
    @Body() body: CreateChatSessionDto,
  ): Promise<ChatSessionResponseDto> {
    return this.sessions.issue(user.userId, workflowId, { deviceId: body?.deviceId, metadata: body?.metadata });
  }
}

/** The caller's chat sessions ("signed-in devices"): list, revoke one, revoke all. */
@ApiTags('chatkit')
@Controller('api/chatkit/sessions')
@Auth('jwt')
export class ChatSessionsAdminController {
  constructor(private readonly sessions: ChatSessionsService) {}

  @Get()
  @ApiOperation({ summary: 'List your chat sessions (device, created, last used, expiry, revoked)' })
  @ApiOkResponse({ type: ChatSessionListDto })
  async list(@CurrentPrincipal('user') user: UserPrincipal): Promise<ChatSessionListDto> {
    return { data: await this.sessions.list(user.userId) };
  }

  @Post('revoke-all')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke every chat session of yours ("sign out all devices"); their tokens fail at once with `chat_session_revoked`' })
  @ApiOkResponse({ type: RevokeAllChatSessionsDto })
  async revokeAll(@CurrentPrincipal('user') user: UserPrincipal): Promise<RevokeAllChatSessionsDto> {
    return { revoked: await this.sessions.revokeAll(user.userId) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke one of your chat sessions; its tokens fail at once with `chat_session_revoked`' })
  @ApiNoContentResponse()
  @ApiErrors('validation_failed', 'not_found')
  async revoke(@CurrentPrincipal('user') user: UserPrincipal, @Param('id', ParseUuidPipe) id: string): Promise<void> {
    await this.sessions.revoke(user.userId, id);
  }
}
