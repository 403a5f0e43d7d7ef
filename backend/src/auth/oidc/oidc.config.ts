import { registerAs } from '@nestjs/config';
import { ArrayContains, IsBoolean, IsInt, IsString, IsUrl, Matches, Max, Min, MinLength, ValidateIf } from 'class-validator';
import { publicBaseUrlFrom } from '../../config/app.config';
import { ConfigError, EnvVar, env, envInt, envList, isProduction, validateConfig } from '../../config/env';
import { IsOrigin } from '../../common/http/validators';

/** Where the identity provider sends the browser back; one URI for end-user and owner sign-in alike. */
export const OIDC_CALLBACK_PATH = '/api/auth/oidc/callback';

export const OIDC_ENV: EnvVar[] = [
  {
    name: 'OIDC_ISSUER',
    description:
      'Issuer URL of the OpenID provider (discovery at `<issuer>/.well-known/openid-configuration`). Empty disables OIDC sign-in. ' +
      'http issuers are accepted only outside production. In development, `npm start` starts a local provider when this is empty.',
    example: '',
    default: 'unset (OIDC off)',
  },
  {
    name: 'OIDC_CLIENT_ID',
    description: 'Client id registered with the provider. Required with OIDC_ISSUER.',
    example: '',
  },
  {
    name: 'OIDC_CLIENT_SECRET',
    description: 'Client secret (sent with HTTP Basic to the token endpoint). Required with OIDC_ISSUER.',
    example: '',
    secret: true,
  },
  {
    name: 'OIDC_REDIRECT_URI',
    description: `Redirect URI registered with the provider; must reach ${OIDC_CALLBACK_PATH} of this server.`,
    example: '',
    default: `$PUBLIC_BASE_URL${OIDC_CALLBACK_PATH}`,
  },
  {
    name: 'OIDC_SCOPES',
    description: 'Space- or comma-separated scopes to request; must include `openid`.',
    example: 'openid email profile',
    default: 'openid email profile',
  },
  {
    name: 'OIDC_ALLOWED_RETURN_ORIGINS',
    description:
      'Comma-separated exact origins (besides the one of PUBLIC_BASE_URL) that `returnTo` may point at after sign-in, e.g. sites embedding the chat.',
    example: '',
    default: 'none',
  },
  {
    name: 'OIDC_SESSION_TTL',
    description: 'Lifetime of an end-user OAuth session (`parley_oauth` cookie), in seconds.',
    example: '28800',
    default: '28800 (8 hours)',
  },
  {
    name: 'OIDC_DEV_IDP_PORT',
    description:
      'Development only: port of the local OpenID provider that `npm start` runs when OIDC_ISSUER is empty (another free port is used if it is taken).',
    example: '4010',
    default: '4010',
  },
];

export class OidcConfig {
  /** True when OIDC_ISSUER is set; `/api/config` reads `oidc.enabled` to show or hide SSO buttons. */
  @IsBoolean()
  enabled: boolean;

  @ValidateIf((c: OidcConfig) => c.enabled)
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  issuer: string | null;

  @ValidateIf((c: OidcConfig) => c.enabled)
  @IsString()
  @MinLength(1)
  clientId: string | null;

  @ValidateIf((c: OidcConfig) => c.enabled)
  @IsString()
  @MinLength(1)
  clientSecret: string | null;

  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  redirectUri: string;

  @IsString({ each: true })
  @Matches(/^[\x21\x23-\x5b\x5d-\x7e]+$/, { each: true, message: 'scopes must be RFC 6749 scope tokens' })
  @ArrayContains(['openid'], { message: 'OIDC_SCOPES must include openid' })
  scopes: string[];

  @IsOrigin({ each: true })
  allowedReturnOrigins: string[];

  @IsInt()
  @Min(300)
  @Max(30 * 86400)
  sessionTtlSeconds: number;

  /** openid-client refuses plain http unless told; only ever true outside production. */
  @IsBoolean()
  allowInsecureRequests: boolean;
}

export function loadOidcConfig(source: NodeJS.ProcessEnv = process.env): OidcConfig {
  const issuer = env('OIDC_ISSUER', source) ?? null;
  const enabled = issuer !== null;
  const publicBaseUrl = publicBaseUrlFrom(source);
  let insecure = false;
  if (issuer) {
    let protocol: string | null = null;
    try {
      protocol = new URL(issuer).protocol;
    } catch {
      /* reported by validation */
    }
    if (protocol === 'http:') {
      if (isProduction(source)) throw new ConfigError('OIDC_ISSUER must be an https URL in production.');
      insecure = true;
    }
    for (const name of ['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET']) {
      if (!env(name, source)) throw new ConfigError(`${name} is required when OIDC_ISSUER is set.`);
    }
  }
  return validateConfig(
    'oidc',
    OidcConfig,
    {
      enabled,
      issuer,
      clientId: env('OIDC_CLIENT_ID', source) ?? null,
      clientSecret: env('OIDC_CLIENT_SECRET', source) ?? null,
      redirectUri: env('OIDC_REDIRECT_URI', source) ?? `${publicBaseUrl}${OIDC_CALLBACK_PATH}`,
      scopes: [...new Set((env('OIDC_SCOPES', source) ?? 'openid email profile').split(/[\s,]+/).filter(Boolean))],
      allowedReturnOrigins: envList('OIDC_ALLOWED_RETURN_ORIGINS', [], source),
      sessionTtlSeconds: envInt('OIDC_SESSION_TTL', 8 * 3600, source),
      allowInsecureRequests: insecure,
    },
    // The secret is only required (and checked against its example) when OIDC is on.
    enabled ? OIDC_ENV : [],
    source,
  );
}

export const oidcConfig = registerAs('oidc', () => loadOidcConfig());
