import type Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';

/** Largest `parameters` schema accepted, serialized. */
export const MAX_SCHEMA_BYTES = 16 * 1024;

/**
 * JSON Schema compilation for tool arguments. Non-strict (vendor keywords such as
 * `x-order` or OpenAI's `strict` are tolerated), but the schema itself must be valid against the
 * draft-07 meta-schema and compile. Compiled validators are reused by schema text.
 */
let ajvInstance: Ajv | undefined;
/** Created (and ajv, ~60 modules plus its meta-schema, loaded) with the first tool schema, not at start-up. */
function ajv(): Ajv {
  if (!ajvInstance) {
    const { default: AjvClass } = require('ajv') as typeof import('ajv');
    ajvInstance = new AjvClass({ strict: false, allErrors: true, validateSchema: true, allowUnionTypes: true });
  }
  return ajvInstance;
}
const compiled = new Map<string, ValidateFunction>();
const MAX_COMPILED = 512;

/** Why `schema` is not a usable tool parameter schema, or null when it is. */
export function schemaProblem(schema: unknown): string | null {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return 'must be a JSON Schema object';
  const text = JSON.stringify(schema);
  if (text.length > MAX_SCHEMA_BYTES) return `must be at most ${MAX_SCHEMA_BYTES} bytes`;
  if ((schema as { type?: unknown }).type !== 'object') return 'must have "type": "object" (tool arguments are an object)';
  try {
    validatorFor(schema as Record<string, unknown>);
    return null;
  } catch (error) {
    return `is not a valid JSON Schema: ${(error as Error).message.slice(0, 300)}`;
  }
}

/** The compiled validator of `schema` (throws when it does not compile). */
export function validatorFor(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv().compile(schema);
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
    compiled.set(key, validate);
  }
  return validate;
}

/** Checks `args` against `schema`: null when valid, else a short description for the model. */
export function argumentProblems(schema: Record<string, unknown> | undefined, args: unknown): string | null {
  if (args === null || typeof args !== 'object' || Array.isArray(args)) return 'arguments must be a JSON object';
  if (!schema) return null;
  const validate = validatorFor(schema);
  if (validate(args)) return null;
  return (validate.errors ?? [])
    .slice(0, 10)
    .map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`)
    .join('; ');
}
