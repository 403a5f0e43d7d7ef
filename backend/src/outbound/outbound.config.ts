import { registerAs } from '@nestjs/config';
import { IsBoolean, IsInt, IsString, Max, Min } from 'class-validator';
import { EnvVar, env, envBool, envInt, envList, validateConfig } from '../config/env';

export const OUTBOUND_ENV: EnvVar[] = [
  {
    name: 'OUTBOUND_ALLOW_PRIVATE',
    description:
      'Let tools, MCP servers, webhooks and `compatible` model URLs reach loopback, private, link-local and metadata addresses. ' +
      'Never the default in production; an explicit `false` wins in every mode.',
    example: 'false',
    default: 'true in development and test, false in production',
  },
  {
    name: 'OUTBOUND_ALLOW_HOSTS',
    description:
      'Comma-separated `host:port` pairs reachable even when private targets are refused (an internal tool server you trust). Redirects away from them are checked again.',
    example: '',
  },
  {
    name: 'OUTBOUND_MAX_RESPONSE_BYTES',
    description: 'Largest response body Parley reads from an outbound request (tools, MCP, webhooks); larger ones fail.',
    example: '1048576',
    default: '1048576',
  },
  {
    name: 'OUTBOUND_MAX_REDIRECTS',
    description: 'Redirects an outbound request may follow; each hop is checked against the policy again.',
    example: '5',
    default: '5',
  },
];

export class OutboundConfig {
  @IsBoolean()
  allowPrivate: boolean;

  @IsString({ each: true })
  allowHosts: string[];

  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024)
  maxResponseBytes: number;

  @IsInt()
  @Min(0)
  @Max(10)
  maxRedirects: number;
}

/** `OUTBOUND_ALLOW_PRIVATE`: true in development and test, false in production unless set. */
export function loadOutboundConfig(source: NodeJS.ProcessEnv = process.env): OutboundConfig {
  const mode = env('NODE_ENV', source) ?? 'development';
  return validateConfig(
    'outbound',
    OutboundConfig,
    {
      allowPrivate: envBool('OUTBOUND_ALLOW_PRIVATE', mode === 'development' || mode === 'test', source),
      allowHosts: envList('OUTBOUND_ALLOW_HOSTS', [], source).map((h) => h.toLowerCase()),
      maxResponseBytes: envInt('OUTBOUND_MAX_RESPONSE_BYTES', 1024 * 1024, source),
      maxRedirects: envInt('OUTBOUND_MAX_REDIRECTS', 5, source),
    },
    OUTBOUND_ENV,
    source,
  );
}

export const outboundConfig = registerAs('outbound', () => loadOutboundConfig());
