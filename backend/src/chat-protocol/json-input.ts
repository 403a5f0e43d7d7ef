/** Deeper JSON than this is refused: no Parley body needs it, and deep values overflow recursive code later. */
export const MAX_JSON_DEPTH = 64;

export interface JsonInputProblem {
  /** Where, as a dotted path (`params.input.content.0.text`); `body` for the root. */
  path: string;
  message: string;
}

/** An unpaired UTF-16 surrogate: not text, and refused by PostgreSQL and by URI/e-mail validators. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function textProblem(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain NUL (U+0000) characters';
  if (LONE_SURROGATE.test(s)) return 'must be valid Unicode text (an unpaired surrogate was found)';
  return null;
}

/**
 * The first reason a parsed JSON value cannot be stored or processed as text, or null: a NUL
 * character or an unpaired surrogate in any string or key (PostgreSQL rejects both), or nesting
 * deeper than `maxDepth`. Iterative, so the check itself cannot overflow the stack.
 */
export function findJsonInputProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): JsonInputProblem | null {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: 'body', depth: 0 }];
  while (stack.length) {
    const { value: v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) return { path, message: problem };
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= maxDepth) return { path, message: `is nested too deeply (at most ${maxDepth} levels)` };
    const entries: Array<[string, unknown]> = Array.isArray(v) ? v.map((item, i) => [String(i), item]) : Object.entries(v);
    for (const [key, child] of entries) {
      const keyProblem = textProblem(key);
      if (keyProblem) return { path, message: `has a key that ${keyProblem}` };
      stack.push({ value: child, path: path === 'body' ? key : `${path}.${key}`, depth: depth + 1 });
    }
  }
  return null;
}
