import { Controller, Get, HttpCode, Param, Put, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Auth } from '../../auth/auth.decorators';
import type { AuthRequest } from '../../auth/credentials';
import { ApiErrors } from '../../common/errors/api-errors.decorator';
import { Public } from '../../common/http/public.decorator';
import { CHAT_ACCESS_ERRORS } from '../chatkit.errors';
import { ChatContextResolver } from '../context/chat-context.resolver';
import type { Attachment } from '../../chat-protocol/types';
import { ChatAttachmentsService } from './chat-attachments.service';
import { ALLOWED_ATTACHMENT_TYPES } from './mime-sniff';

@ApiTags('chatkit')
@Controller('api/chatkit')
export class ChatAttachmentsController {
  constructor(
    private readonly contexts: ChatContextResolver,
    private readonly attachments: ChatAttachmentsService,
  ) {}

  @Put('uploads/:attachmentId')
  @HttpCode(200)
  @Auth('chat', 'publishToken', 'hostSession')
  @ApiOperation({
    summary: 'Upload the bytes of a two-phase attachment (the `upload_descriptor` of `attachments.create`)',
    description:
      `Raw bytes, or multipart/form-data with a \`file\` field. The size must equal the declared one and the bytes must be ` +
      `what the declared type says (checked by content): ${ALLOWED_ATTACHMENT_TYPES.join(', ')}. Limit: \`CHATKIT_UPLOAD_LIMIT\`. ` +
      `Authenticated like \`POST /api/chatkit\` (chat JWT, or share link + the visitor token that created the attachment). ` +
      `Write-once: after a complete upload, or once the attachment is in a message, further uploads answer 409 \`attachment_immutable\`.`,
  })
  @ApiOkResponse({ description: 'The attachment, without `upload_descriptor`.', schema: { type: 'object', additionalProperties: true } })
  @ApiErrors('validation_failed', 'attachment_immutable', 'payload_too_large', 'unsupported_media_type', ...CHAT_ACCESS_ERRORS)
  async upload(@Req() req: AuthRequest, @Param('attachmentId') attachmentId: string): Promise<Attachment> {
    const ctx = await this.contexts.resolve(req);
    return this.attachments.upload(ctx, attachmentId, req.body as Buffer, req.headers['content-type']);
  }

  @Get('attachments/:attachmentId/preview')
  @Public()
  @ApiOperation({
    summary: 'An uploaded image, through the short-lived signed URL given as its `preview_url`',
    description: 'The signature is the credential (the ChatKit iframe loads it cross-origin); never put a bearer token in a URL.',
  })
  @ApiQuery({ name: 'exp', description: 'Expiry, Unix seconds.' })
  @ApiQuery({ name: 'sig', description: 'HMAC signature of the id and expiry.' })
  @ApiProduces('image/png', 'image/jpeg', 'image/gif', 'image/webp')
  @ApiOkResponse({ description: 'The image bytes.', schema: { type: 'string', format: 'binary' } })
  @ApiErrors('forbidden', 'not_found')
  async preview(
    @Param('attachmentId') attachmentId: string,
    @Query('exp') exp: unknown,
    @Query('sig') sig: unknown,
    @Res() res: Response,
  ): Promise<void> {
    const content = await this.attachments.preview(attachmentId, exp, sig);
    res.status(200);
    res.setHeader('Content-Type', content.contentType);
    res.setHeader('Content-Length', content.bytes.length);
    res.setHeader('Cache-Control', `private, max-age=${content.maxAgeSeconds}`);
    res.setHeader('Content-Disposition', 'inline');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // Loaded by the OpenAI-hosted ChatKit iframe, another origin: let it embed the image.
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.end(content.bytes);
  }
}
