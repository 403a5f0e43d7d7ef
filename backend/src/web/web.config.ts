import { registerAs } from '@nestjs/config';
import { IsBoolean, IsOptional, IsString, IsUrl } from 'class-validator';
import * as path from 'node:path';
import { EnvVar, env, envBool, validateConfig } from '../config/env';

export const WEB_ENV: EnvVar[] = [
  { name: 'SERVE_FRONTEND', description: 'Serve the built canvas host at `/` and the widget remote at `/widget/`.', example: 'true', default: 'true' },
  {
    name: 'WIDGET_MANIFEST_URL',
    description: 'Where hosts load the widget remote from (its `mf-manifest.json`). Default: this server.',
    example: '',
    default: '/widget/mf-manifest.json',
  },
  {
    name: 'CHATKIT_DOMAIN_KEY',
    description: 'ChatKit domain key registered with OpenAI for your production hostnames (any placeholder works on localhost).',
    example: 'domain_pk_localhost_dev',
    default: 'domain_pk_localhost_dev',
  },
  {
    name: 'CHATKIT_SCRIPT_URL',
    description: 'URL of the ChatKit web component script.',
    example: 'https://cdn.platform.openai.com/deployments/chatkit/chatkit.js',
    default: 'https://cdn.platform.openai.com/deployments/chatkit/chatkit.js',
  },
];

export class WebConfig {
  @IsBoolean()
  serveFrontend: boolean;

  @IsString()
  widgetManifestUrl: string;

  @IsString()
  chatkitDomainKey: string;

  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  chatkitScriptUrl: string;

  /** Built front ends, next to the backend in the repository (or the image). */
  @IsOptional()
  @IsString()
  hostDist: string;

  @IsOptional()
  @IsString()
  widgetDist: string;
}

export function loadWebConfig(source: NodeJS.ProcessEnv = process.env): WebConfig {
  const root = path.resolve(__dirname, '..', '..', '..');
  return validateConfig(
    'web',
    WebConfig,
    {
      serveFrontend: envBool('SERVE_FRONTEND', true, source),
      widgetManifestUrl: env('WIDGET_MANIFEST_URL', source) ?? '/widget/mf-manifest.json',
      chatkitDomainKey: env('CHATKIT_DOMAIN_KEY', source) ?? 'domain_pk_localhost_dev',
      chatkitScriptUrl: env('CHATKIT_SCRIPT_URL', source) ?? 'https://cdn.platform.openai.com/deployments/chatkit/chatkit.js',
      hostDist: path.join(root, 'canvas-host', 'dist'),
      widgetDist: path.join(root, 'widget-remote', 'dist'),
    },
    WEB_ENV,
    source,
  );
}

export const webConfig = registerAs('web', () => loadWebConfig());
