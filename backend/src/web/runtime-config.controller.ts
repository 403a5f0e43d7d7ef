import { Controller, Get, Inject } from '@nestjs/common';
import { ConfigService, ConfigType } from '@nestjs/config';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/http/public.decorator';
import { featuresConfig } from '../config/features.config';
import { webConfig } from './web.config';

class RuntimeFeaturesDto {
  @ApiProperty({ description: 'The canvas chat bubble (chat session JWTs)' }) canvasChat: boolean;
  @ApiProperty({ description: 'Public share-link chats' }) publicChat: boolean;
}

class ChatKitRuntimeDto {
  @ApiProperty() domainKey: string;
  @ApiProperty() scriptUrl: string;
}

export class RuntimeConfigDto {
  @ApiProperty({ example: '/widget/mf-manifest.json' }) widgetManifestUrl: string;
  @ApiProperty({ type: RuntimeFeaturesDto }) features: RuntimeFeaturesDto;
  @ApiProperty({ description: 'Whether OpenID Connect sign-in is available' }) oidcEnabled: boolean;
  @ApiProperty({ type: ChatKitRuntimeDto }) chatkit: ChatKitRuntimeDto;
}

@ApiTags('operations')
@Controller('api/config')
export class RuntimeConfigController {
  constructor(
    @Inject(webConfig.KEY) private readonly web: ConfigType<typeof webConfig>,
    @Inject(featuresConfig.KEY) private readonly features: ConfigType<typeof featuresConfig>,
    private readonly config: ConfigService,
  ) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'Runtime configuration for hosts: widget manifest URL, feature flags, OIDC availability' })
  @ApiOkResponse({ type: RuntimeConfigDto })
  get(): RuntimeConfigDto {
    return {
      widgetManifestUrl: this.web.widgetManifestUrl,
      features: { canvasChat: this.features.canvasEnabled, publicChat: this.features.publishEnabled },
      // The OIDC module registers the `oidc` namespace when a provider is configured.
      oidcEnabled: this.config.get<boolean>('oidc.enabled') ?? false,
      chatkit: { domainKey: this.web.chatkitDomainKey, scriptUrl: this.web.chatkitScriptUrl },
    };
  }
}
