import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/errors/api-errors.decorator';
import { ParseUuidPipe } from '../common/http/parse-uuid.pipe';
import {
  CreatedPersonalTokenResponse,
  CreatePersonalTokenDto,
  PersonalTokenList,
  toCreatedPersonalTokenResponse,
  toPersonalTokenResponse,
} from './dto/personal-token.dto';
import { Auth, CurrentPrincipal } from './auth.decorators';
import { UserPrincipal } from './principal';
import { PersonalTokensService } from './tokens/personal-tokens.service';

@ApiTags('auth')
@Auth('jwt')
@Controller('api/auth/tokens')
export class PersonalTokensController {
  constructor(private readonly tokens: PersonalTokensService) {}

  @Post()
  @ApiOperation({ summary: 'Create a personal access token (shown once)', description: 'Use it as `Authorization: Bearer pat_…`.' })
  @ApiCreatedResponse({ type: CreatedPersonalTokenResponse })
  @ApiErrors('validation_failed')
  async create(@CurrentPrincipal('user') principal: UserPrincipal, @Body() body: CreatePersonalTokenDto): Promise<CreatedPersonalTokenResponse> {
    const { entity, token } = await this.tokens.create(principal.userId, { name: body.name, expiresAt: body.expiresAt ?? null });
    return toCreatedPersonalTokenResponse(entity, token);
  }

  @Get()
  @ApiOperation({ summary: 'List your personal access tokens (never their values)' })
  @ApiOkResponse({ type: PersonalTokenList })
  async list(@CurrentPrincipal('user') principal: UserPrincipal): Promise<PersonalTokenList> {
    return { tokens: (await this.tokens.list(principal.userId)).map(toPersonalTokenResponse) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a personal access token' })
  @ApiNoContentResponse({ description: 'Revoked.' })
  @ApiErrors('validation_failed', 'not_found')
  async revoke(@CurrentPrincipal('user') principal: UserPrincipal, @Param('id', ParseUuidPipe) id: string): Promise<void> {
    await this.tokens.revoke(principal.userId, id);
  }
}
