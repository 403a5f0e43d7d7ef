import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Auth } from '../auth/auth.decorators';
import type { AuthRequest } from '../auth/credentials';
import { ApiErrors } from '../common/errors/api-errors.decorator';
import { CHATKIT_OK_CONTENT, CHATKIT_REQUEST_SCHEMA } from './chatkit.openapi';
import { ChatKitService } from './chatkit.service';
import { CHAT_ACCESS_ERRORS } from './chatkit.errors';
import { ChatContextResolver } from './context/chat-context.resolver';

/** The ChatKit protocol endpoint: one route, dispatching on the body's `type`. */
@ApiTags('chatkit')
@Controller('api/chatkit')
export class ChatKitController {
  constructor(
    private readonly contexts: ChatContextResolver,
    private readonly chatkit: ChatKitService,
  ) {}

  @Post()
  @HttpCode(200)
  @Auth('chat', 'publishToken', 'hostSession')
  @ApiOperation({
    summary: 'ChatKit protocol endpoint (OpenAI ChatKit custom backend): streaming and JSON requests',
    description:
      'Authentication, the workflow, the body, the thread and every item or attachment the request names are checked before ' +
      'any stream opens; failures answer a JSON error. A thread of another user or workflow answers 404, exactly like a missing one. ' +
      'Closing the connection cancels a stream: the partial answer is kept. The body is read whatever its content type ' +
      '(limit `CHATKIT_BODY_LIMIT`). Canvas chats send a chat session JWT (`Authorization: Bearer`); public pages and embeds send ' +
      '`X-Parley-Publish-Token` and the visitor token they were given (`X-Parley-Visitor`, returned in the same response header; ' +
      'a new visitor when absent or invalid). `requireLogin` workflows also need the `parley_oauth` session cookie. See docs/embedding.md.',
  })
  @ApiHeader({ name: 'X-Parley-Publish-Token', required: false, description: 'Share-link token `pub_…` (public mode).' })
  @ApiHeader({ name: 'X-Parley-Visitor', required: false, description: 'Visitor token from an earlier response (public mode); the response header carries the one to keep.' })
  @ApiHeader({ name: 'X-Parley-Workflow', required: false, description: 'The workflow the caller means; another than the credential’s → 403 `workflow_mismatch`.' })
  @ApiBody({ schema: CHATKIT_REQUEST_SCHEMA })
  @ApiResponse({ status: 200, description: 'JSON for JSON requests, `text/event-stream` for streaming ones.', content: CHATKIT_OK_CONTENT })
  @ApiErrors('invalid_request', 'not_supported', ...CHAT_ACCESS_ERRORS, 'service_unavailable')
  async handle(@Req() req: AuthRequest, @Res() res: Response): Promise<void> {
    const ctx = await this.contexts.resolve(req);
    await this.chatkit.handle(req.body as Buffer, ctx, res);
  }
}
