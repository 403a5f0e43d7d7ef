import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Public } from '../../common/http/public.decorator';
import { SigningKeysService } from './signing-keys.service';

class JwkDto {
  @ApiProperty({ enum: ['EC'] })
  kty: 'EC';

  @ApiProperty({ enum: ['P-256'] })
  crv: 'P-256';

  @ApiProperty({ description: 'base64url x coordinate' })
  x: string;

  @ApiProperty({ description: 'base64url y coordinate' })
  y: string;

  @ApiProperty({ description: 'Key id, matched against the JWT header `kid`.' })
  kid: string;

  @ApiProperty({ enum: ['ES256'] })
  alg: 'ES256';

  @ApiProperty({ enum: ['sig'] })
  use: 'sig';
}

class JwksDto {
  @ApiProperty({ type: [JwkDto] })
  keys: JwkDto[];
}

@ApiTags('operations')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeysService) {}

  @Get('jwks.json')
  @Public()
  // Short cache: after a rotation, verifiers holding an older copy refetch on an unknown kid anyway.
  @Header('Cache-Control', 'public, max-age=60')
  @ApiOperation({ summary: 'Public keys (JWKS) that verify Parley-signed JWTs, including recently rotated-out keys' })
  @ApiOkResponse({ type: JwksDto })
  jwks(): Promise<JwksDto> {
    return this.keys.jwks();
  }
}
