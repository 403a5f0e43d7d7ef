import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators';
import type { UserPrincipal } from '../auth/principal';
import { ApiErrors } from '../common/errors/api-errors.decorator';
import { ParseUuidPipe } from '../common/http/parse-uuid.pipe';
import { requestIdOf } from '../common/http/request-id';
import { CreatedServerKeyDto, CreateServerKeyDto, ServerKeyListDto } from './dto/server-keys.dto';
import { ServerKeysService } from './server-keys.service';

/** The owner's workflow server keys (`wsk_…`): create (shown once), list, revoke. */
@ApiTags('host sessions')
@Auth('jwt')
@Controller('api/workflows/:id/server-keys')
export class ServerKeysController {
  constructor(private readonly keys: ServerKeysService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a server key for this workflow (shown once)',
    description: 'Your backend sends it as `Authorization: Bearer wsk_…` to mint end-user sessions. Never put it in a page: browsers are refused.',
  })
  @ApiCreatedResponse({ type: CreatedServerKeyDto })
  @ApiErrors('validation_failed', 'not_found')
  async create(
    @CurrentPrincipal('user') user: UserPrincipal,
    @Param('id', ParseUuidPipe) workflowId: string,
    @Body() body: CreateServerKeyDto,
    @Req() req: Request,
  ): Promise<CreatedServerKeyDto> {
    const { view, key } = await this.keys.create(user.userId, workflowId, body.name, requestIdOf(req));
    return { id: view.id, name: view.name, key, createdAt: view.createdAt };
  }

  @Get()
  @ApiOperation({ summary: 'List this workflow’s server keys (prefix, name, created, last used; never the keys)' })
  @ApiOkResponse({ type: ServerKeyListDto })
  @ApiErrors('validation_failed', 'not_found')
  async list(@CurrentPrincipal('user') user: UserPrincipal, @Param('id', ParseUuidPipe) workflowId: string): Promise<ServerKeyListDto> {
    return { keys: await this.keys.list(user.userId, workflowId) };
  }

  @Delete(':keyId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a server key; it fails at once with `server_key_revoked`' })
  @ApiNoContentResponse({ description: 'Revoked (also when it already was).' })
  @ApiErrors('validation_failed', 'not_found')
  async revoke(
    @CurrentPrincipal('user') user: UserPrincipal,
    @Param('id', ParseUuidPipe) workflowId: string,
    @Param('keyId', ParseUuidPipe) keyId: string,
    @Req() req: Request,
  ): Promise<void> {
    await this.keys.revoke(user.userId, workflowId, keyId, requestIdOf(req));
  }
}
