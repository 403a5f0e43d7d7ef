import { registerAs } from '@nestjs/config';
import { IsInt, IsOptional, IsString, IsUrl, Max, Min } from 'class-validator';
import { EnvVar, env, envInt, validateConfig } from '../config/env';

/** Preset endpoints of the `openai` runner's providers (workflow `provider`). */
export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';
export const GEMINI_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta/openai/';

export const RUNNERS_ENV: EnvVar[] = [
  {
    name: 'OPENAI_API_KEY',
    description: 'Server-side key for workflows whose runner provider is `openai` (chat and dictation). Never sent to the browser.',
    example: '',
  },
  {
    name: 'OPENAI_BASE_URL',
    description: 'Endpoint of the `openai` provider (a proxy or a test double).',
    example: OPENAI_DEFAULT_BASE_URL,
    default: OPENAI_DEFAULT_BASE_URL,
  },
  {
    name: 'GEMINI_API_KEY',
    description: 'Server-side key for workflows whose runner provider is `gemini` (its OpenAI-compatible endpoint).',
    example: '',
  },
  {
    name: 'GEMINI_BASE_URL',
    description: "Endpoint of the `gemini` provider: Google's OpenAI-compatible API.",
    example: GEMINI_DEFAULT_BASE_URL,
    default: GEMINI_DEFAULT_BASE_URL,
  },
  {
    name: 'OPENAI_COMPATIBLE_API_KEY',
    description:
      'Optional key sent to `compatible` providers (the workflow gives the base URL). Kept apart from OPENAI_API_KEY so a workflow URL never receives it.',
    example: '',
  },
  {
    name: 'RUNNER_TIMEOUT_MS',
    description: 'Longest silence, in ms, allowed from a model provider (before the first token and between tokens); at most 300000 (the HTTP client\'s own limit).',
    example: '60000',
    default: '60000',
  },
  {
    name: 'OPENAI_TRANSCRIBE_MODEL',
    description: 'Speech-to-text model used for dictation (`input.transcribe`) on `openai` workflows.',
    example: 'gpt-4o-mini-transcribe',
    default: 'gpt-4o-mini-transcribe',
  },
];

const URL_OPTIONS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

export class RunnersConfig {
  @IsOptional()
  @IsString()
  openaiApiKey?: string;

  @IsUrl(URL_OPTIONS)
  openaiBaseUrl: string;

  @IsOptional()
  @IsString()
  geminiApiKey?: string;

  @IsUrl(URL_OPTIONS)
  geminiBaseUrl: string;

  @IsOptional()
  @IsString()
  compatibleApiKey?: string;

  @IsInt()
  @Min(100)
  // Node's fetch (undici) gives up on a silent response after 300 s whatever the SDK is told.
  @Max(300_000, { message: 'RUNNER_TIMEOUT_MS must be at most 300000 (the HTTP client gives up on a silent response after 300 s).' })
  timeoutMs: number;

  @IsString()
  transcribeModel: string;
}

export function loadRunnersConfig(source: NodeJS.ProcessEnv = process.env): RunnersConfig {
  return validateConfig(
    'runners',
    RunnersConfig,
    {
      openaiApiKey: env('OPENAI_API_KEY', source),
      openaiBaseUrl: env('OPENAI_BASE_URL', source) ?? OPENAI_DEFAULT_BASE_URL,
      geminiApiKey: env('GEMINI_API_KEY', source),
      geminiBaseUrl: env('GEMINI_BASE_URL', source) ?? GEMINI_DEFAULT_BASE_URL,
      compatibleApiKey: env('OPENAI_COMPATIBLE_API_KEY', source),
      timeoutMs: envInt('RUNNER_TIMEOUT_MS', 60_000, source),
      transcribeModel: env('OPENAI_TRANSCRIBE_MODEL', source) ?? 'gpt-4o-mini-transcribe',
    },
    RUNNERS_ENV,
    source,
  );
}

export const runnersConfig = registerAs('runners', () => loadRunnersConfig());
