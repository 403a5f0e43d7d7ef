import { plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';

/** One documented environment variable; `.env.example` is checked against these. */
export interface EnvVar {
  name: string;
  description: string;
  /** Value written in `.env.example`. For secrets this is a placeholder that production refuses. */
  example: string;
  /** Default when unset (documentation only; the config factory applies it). */
  default?: string;
  /** Secrets must be set in production and must not equal their example value. */
  secret?: boolean;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export const isProduction = (env: NodeJS.ProcessEnv = process.env): boolean => env.NODE_ENV === 'production';

/** Reads a variable, treating the empty string as unset. */
export function env(name: string, source: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = source[name];
  return value === undefined || value === '' ? undefined : value;
}

export function envBool(name: string, fallback: boolean, source: NodeJS.ProcessEnv = process.env): boolean {
  const value = env(name, source);
  if (value === undefined) return fallback;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`${name} must be a boolean (true/false), got "${value}".`);
}

export function envInt(name: string, fallback: number, source: NodeJS.ProcessEnv = process.env): number {
  const value = env(name, source);
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value)) throw new ConfigError(`${name} must be an integer, got "${value}".`);
  return Number(value);
}

export function envList(name: string, fallback: string[], source: NodeJS.ProcessEnv = process.env): string[] {
  const value = env(name, source);
  if (value === undefined) return fallback;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Validates a config object against its class and, in production, checks its secrets.
 * Throws one ConfigError naming every problem, so boot fails with a clear message.
 */
export function validateConfig<T extends object>(
  namespace: string,
  cls: new () => T,
  raw: Record<string, unknown>,
  vars: EnvVar[] = [],
  source: NodeJS.ProcessEnv = process.env,
): T {
  const instance = plainToInstance(cls, raw);
  const errors = validateSync(instance, { skipMissingProperties: false, forbidUnknownValues: true });
  const problems = describeErrors(errors, namespace);
  if (isProduction(source)) {
    for (const v of vars.filter((x) => x.secret)) {
      const value = env(v.name, source);
      if (value === undefined) problems.push(`${v.name} is required in production (${v.description}).`);
      else if (value === v.example) problems.push(`${v.name} still has its example value; set a real secret.`);
    }
  }
  if (problems.length) throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return instance;
}

/** `namespace.path: message` for every failed constraint, nested objects included (`auth.rateLimit.perIp`). */
function describeErrors(errors: ValidationError[], path: string): string[] {
  return errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((m) => `${path}.${e.property}: ${m}`),
    ...describeErrors(e.children ?? [], `${path}.${e.property}`),
  ]);
}
