import { registerAs } from '@nestjs/config';
import { IsBoolean } from 'class-validator';
import { EnvVar, envBool, validateConfig } from './env';

export const FEATURES_ENV: EnvVar[] = [
  {
    name: 'CHATKIT_PUBLISH_ENABLED',
    description: 'Kill switch for public share links: `false` makes publish/rotate/login-flag changes answer 403 (revoke still works).',
    example: 'true',
    default: 'true',
  },
  {
    name: 'CHATKIT_CANVAS_ENABLED',
    description: 'Kill switch for the canvas chat bubble (chat session JWTs).',
    example: 'true',
    default: 'true',
  },
];

export class FeaturesConfig {
  @IsBoolean()
  publishEnabled: boolean;

  @IsBoolean()
  canvasEnabled: boolean;
}

export function loadFeaturesConfig(source: NodeJS.ProcessEnv = process.env): FeaturesConfig {
  return validateConfig(
    'features',
    FeaturesConfig,
    {
      publishEnabled: envBool('CHATKIT_PUBLISH_ENABLED', true, source),
      canvasEnabled: envBool('CHATKIT_CANVAS_ENABLED', true, source),
    },
    FEATURES_ENV,
    source,
  );
}

export const featuresConfig = registerAs('features', () => loadFeaturesConfig());
