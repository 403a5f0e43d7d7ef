import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Replays the ChatKit conformance vectors (test/chat-protocol/conformance/chatkit, format
 * `chatkit-conformance-vector/1`) against a live server over real HTTP, implementing the rules
 * of the vectors' README: EventSource framing, exact keys, and the `$` placeholders.
 */

/** Options of `replayVectors`. */
export interface ReplayOptions {
  /** Server origin, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** Endpoint path; default `/api/chatkit`. */
  path?: string;
  /** Sent with every request (authentication). */
  headers?: Record<string, string>;
  /** Folder holding the vector files. */
  vectorsDir: string;
  /** Receives `PASS name` / `FAIL name` and the diff lines; default console.log. */
  log?: (line: string) => void;
  /** Only replay these vector names. */
  only?: string[];
}

/** The first failing step of a vector. */
export interface StepFailure {
  /** 1-based step number. */
  step: number;
  note?: string;
  request: string;
  problems: string[];
  /** What the server answered, pretty-printed and truncated. */
  actual?: string;
}

/** Outcome of one vector. */
export interface VectorResult {
  name: string;
  passed: boolean;
  /** Steps that ran (all of them when passed). */
  stepsRun: number;
  failure?: StepFailure;
}

/** Outcome of a replay run. */
export interface ReplayReport {
  results: VectorResult[];
  passed: number;
  failed: number;
}

interface VectorStep {
  note?: string;
  request?: unknown;
  request_raw?: string;
  response: {
    status: number;
    content_type: string;
    events?: unknown[];
    body?: unknown;
  };
}

interface Vector {
  format: string;
  name: string;
  description?: string;
  steps: VectorStep[];
}

const VECTOR_FORMAT = 'chatkit-conformance-vector/1';
const ACTUAL_PREVIEW_CHARS = 6000;

/** Replays every vector file (in file-name order) and reports PASS/FAIL per vector. */
export async function replayVectors(options: ReplayOptions): Promise<ReplayReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const results: VectorResult[] = [];
  for (const vector of loadVectors(options.vectorsDir, options.only)) {
    const result = await replayVector(vector, options);
    results.push(result);
    log(`${result.passed ? 'PASS' : 'FAIL'} ${result.name}`);
    if (result.failure) for (const line of formatFailure(result.failure)) log(`  ${line}`);
  }
  const passed = results.filter((result) => result.passed).length;
  return { results, passed, failed: results.length - passed };
}

/** Reads and sanity-checks the vector files, sorted by file name. */
export function loadVectors(dir: string, only?: string[]): Vector[] {
  const files = readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort();
  const vectors = files.map((file) => {
    const vector = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Vector;
    if (vector.format !== VECTOR_FORMAT) throw new Error(`${file}: unsupported format ${String(vector.format)}`);
    if (`${vector.name}.json` !== file) throw new Error(`${file}: name ${vector.name} does not match the file name`);
    return vector;
  });
  return only ? vectors.filter((vector) => only.includes(vector.name)) : vectors;
}

/** Readable lines describing a failed step. */
export function formatFailure(failure: StepFailure): string[] {
  const lines = [`step ${failure.step}${failure.note ? ` (${failure.note})` : ''}: ${failure.request}`];
  for (const problem of failure.problems) lines.push(`  - ${problem}`);
  if (failure.actual !== undefined) {
    lines.push('  actual:');
    for (const line of failure.actual.split('\n')) lines.push(`    ${line}`);
  }
  return lines;
}

async function replayVector(vector: Vector, options: ReplayOptions): Promise<VectorResult> {
  const bindings = new Bindings();
  for (const [index, step] of vector.steps.entries()) {
    const failure = await replayStep(step, index + 1, bindings, options);
    // Later steps depend on earlier bindings and state: stop at the first failure.
    if (failure) return { name: vector.name, passed: false, stepsRun: index + 1, failure };
  }
  return { name: vector.name, passed: true, stepsRun: vector.steps.length };
}

async function replayStep(step: VectorStep, number: number, bindings: Bindings, options: ReplayOptions): Promise<StepFailure | undefined> {
  const problems: string[] = [];
  const body = step.request_raw !== undefined ? step.request_raw : JSON.stringify(substituteRequest(step.request, bindings, 'request', problems));
  const describeRequest = step.request_raw !== undefined ? `raw ${JSON.stringify(step.request_raw)}` : truncate(body, 300);
  const fail = (actual?: string): StepFailure => ({ step: number, note: step.note, request: describeRequest, problems, actual });
  if (problems.length > 0) return fail();

  let status: number;
  let contentType: string | null;
  let text: string;
  try {
    const response = await fetch(new URL(options.path ?? '/api/chatkit', options.baseUrl), {
      method: 'POST',
      headers: { ...options.headers, 'content-type': 'application/json' },
      body,
    });
    status = response.status;
    contentType = response.headers.get('content-type');
    // Rejects when the connection aborts before the response ends, which fails the step.
    text = await response.text();
  } catch (error) {
    problems.push(`request failed or the connection aborted: ${describeError(error)}`);
    return fail();
  }

  const expected = step.response;
  if (status !== expected.status) problems.push(`status: expected ${expected.status}, got ${status}`);
  const mediaType = mediaTypeOf(contentType);
  if (mediaType !== expected.content_type.toLowerCase()) {
    problems.push(`content-type: expected ${expected.content_type}, got ${contentType ?? '(none)'}`);
  }

  if (expected.events !== undefined) {
    if (mediaType !== 'text/event-stream') return fail(truncate(text, ACTUAL_PREVIEW_CHARS));
    const parsed = parseSse(text);
    problems.push(...parsed.problems);
    if (parsed.problems.length === 0) {
      if (parsed.events.length !== expected.events.length) {
        problems.push(
          `events: expected ${expected.events.length} events [${typesOf(expected.events)}], got ${parsed.events.length} [${typesOf(parsed.events)}]`,
        );
      }
      matchValue(expected.events, parsed.events, 'events', bindings, problems);
    }
    return problems.length > 0 ? fail(truncate(parsed.events.map((event) => JSON.stringify(event)).join('\n') || text, ACTUAL_PREVIEW_CHARS)) : undefined;
  }

  let actualBody: unknown;
  try {
    actualBody = JSON.parse(text);
  } catch {
    problems.push('body: not JSON');
    return fail(truncate(text, ACTUAL_PREVIEW_CHARS));
  }
  matchValue(expected.body, actualBody, 'body', bindings, problems);
  return problems.length > 0 ? fail(truncate(JSON.stringify(actualBody, null, 2), ACTUAL_PREVIEW_CHARS)) : undefined;
}

// ---------------------------------------------------------------------------------------------
// SSE (EventSource parsing rules, plus the README's stricter failures)
// ---------------------------------------------------------------------------------------------

/** Events parsed from a `text/event-stream` body, and what was wrong with it. */
export interface SseParseResult {
  events: unknown[];
  problems: string[];
}

/**
 * Parses a complete SSE body per the EventSource rules: `data:` lines joined with `\n`, frames
 * ended by a blank line, comments/`id:`/`retry:`/unknown fields ignored. Stricter than a browser
 * where the README says so: an `event:` field, an unterminated frame, or a frame whose data is
 * not one JSON object are problems.
 */
export function parseSse(text: string): SseParseResult {
  const events: unknown[] = [];
  const problems: string[] = [];
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = body.split(/\r\n|\r|\n/);
  // The piece after the last line terminator: "" when the body ends with a terminator.
  const trailing = lines.pop() ?? '';
  let data: string[] = [];
  let frameOpen = false;
  let frameNumber = 0;
  for (const line of lines) {
    if (line === '') {
      if (data.length > 0) {
        frameNumber += 1;
        dispatch(data.join('\n'), frameNumber, events, problems);
      }
      data = [];
      frameOpen = false;
      continue;
    }
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    frameOpen = true;
    if (field === 'data') data.push(value);
    else if (field === 'event') problems.push(`an "event:" field (${JSON.stringify(value)}) is not allowed: ChatKit uses plain data frames`);
  }
  if (trailing !== '' || frameOpen) problems.push('the stream ended inside a frame not terminated by a blank line');
  return { events, problems };
}

function dispatch(data: string, frameNumber: number, events: unknown[], problems: string[]): void {
  try {
    const event = JSON.parse(data) as unknown;
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      problems.push(`frame ${frameNumber}: data is not a JSON object: ${truncate(data, 200)}`);
    } else {
      events.push(event);
    }
  } catch {
    problems.push(`frame ${frameNumber}: data is not JSON: ${truncate(data, 200)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------

/** `$id:` label bindings of one vector; labels and values are one-to-one. */
export class Bindings {
  private readonly byLabel = new Map<string, string>();
  private readonly byValue = new Map<string, string>();

  /** The value bound to `label`, if any. */
  get(label: string): string | undefined {
    return this.byLabel.get(label);
  }

  /** Binds on first use, then insists on the same value; reports a problem otherwise. */
  check(label: string, value: string, path: string, problems: string[]): void {
    const bound = this.byLabel.get(label);
    if (bound !== undefined) {
      if (bound !== value) problems.push(`${path}: $id:${label} is bound to ${JSON.stringify(bound)}, got ${JSON.stringify(value)}`);
      return;
    }
    const other = this.byValue.get(value);
    if (other !== undefined) {
      problems.push(`${path}: $id:${label} would bind ${JSON.stringify(value)}, already bound to $id:${other} (labels must bind distinct values)`);
      return;
    }
    this.byLabel.set(label, value);
    this.byValue.set(value, label);
  }
}

const ID_PATTERN = '[^/?#\\s]+';
const ORIGIN_PATTERN = '(?:[A-Za-z][A-Za-z0-9+.-]*://[^/?#\\s]+)?';
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))?$/;

/**
 * Compares `actual` with `expected` per the README: exact keys (a null value counts as present),
 * same-length ordered arrays, strictly equal scalars, and the `$` placeholders. Appends one
 * readable line per difference to `problems`; binds `$id:` labels as they are met.
 */
export function matchValue(expected: unknown, actual: unknown, path: string, bindings: Bindings, problems: string[]): void {
  if (typeof expected === 'string' && expected.startsWith('$')) {
    matchPlaceholder(expected, actual, path, bindings, problems);
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) {
      problems.push(`${path}: expected an array, got ${show(actual)}`);
      return;
    }
    if (actual.length !== expected.length) problems.push(`${path}: expected ${expected.length} elements, got ${actual.length}`);
    const shared = Math.min(actual.length, expected.length);
    for (let index = 0; index < shared; index++) matchValue(expected[index], actual[index], `${path}[${index}]`, bindings, problems);
    return;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      problems.push(`${path}: expected an object, got ${show(actual)}`);
      return;
    }
    const expectedObject = expected as Record<string, unknown>;
    const actualObject = actual as Record<string, unknown>;
    for (const [key, value] of Object.entries(expectedObject)) {
      const present = Object.prototype.hasOwnProperty.call(actualObject, key);
      if (value === '$any?') continue;
      if (!present) {
        problems.push(`${path}.${key}: missing (expected ${show(value)})`);
        continue;
      }
      matchValue(value, actualObject[key], `${path}.${key}`, bindings, problems);
    }
    for (const key of Object.keys(actualObject)) {
      if (!Object.prototype.hasOwnProperty.call(expectedObject, key)) {
        problems.push(`${path}.${key}: unexpected key (value ${show(actualObject[key])})`);
      }
    }
    return;
  }
  if (expected !== actual) problems.push(`${path}: expected ${show(expected)}, got ${show(actual)}`);
}

function matchPlaceholder(expected: string, actual: unknown, path: string, bindings: Bindings, problems: string[]): void {
  if (expected.startsWith('$$')) {
    const literal = expected.slice(1);
    if (actual !== literal) problems.push(`${path}: expected ${show(literal)}, got ${show(actual)}`);
    return;
  }
  if (expected === '$any?') return;
  if (expected === '$string') {
    if (typeof actual !== 'string') problems.push(`${path}: expected a string, got ${show(actual)}`);
    return;
  }
  if (expected === '$timestamp') {
    if (typeof actual !== 'string' || !isTimestamp(actual)) problems.push(`${path}: expected an ISO-8601 date-time, got ${show(actual)}`);
    return;
  }
  if (expected.startsWith('$id:')) {
    if (typeof actual !== 'string' || actual === '') {
      problems.push(`${path}: expected a non-empty string for ${expected}, got ${show(actual)}`);
      return;
    }
    bindings.check(expected.slice(4), actual, path, problems);
    return;
  }
  if (expected.startsWith('$oneof:')) {
    const options = expected.slice(7).split('|');
    if (typeof actual !== 'string' || !options.includes(actual)) problems.push(`${path}: expected one of ${options.join(', ')}, got ${show(actual)}`);
    return;
  }
  if (expected.startsWith('$tpl:')) {
    matchTemplate(expected.slice(5), actual, path, bindings, problems);
    return;
  }
  problems.push(`${path}: unknown placeholder ${show(expected)} in the vector (literal "$" strings are written "$$")`);
}

function matchTemplate(template: string, actual: unknown, path: string, bindings: Bindings, problems: string[]): void {
  if (typeof actual !== 'string') {
    problems.push(`${path}: expected a string matching ${template}, got ${show(actual)}`);
    return;
  }
  const token = /\{\$id:([^}]+)\}|\{\$origin\?\}/g;
  const captured: string[] = [];
  let pattern = '^';
  let last = 0;
  for (let match = token.exec(template); match; match = token.exec(template)) {
    pattern += escapeRegExp(template.slice(last, match.index));
    last = match.index + match[0].length;
    const label = match[1];
    if (label === undefined) {
      pattern += ORIGIN_PATTERN;
    } else if (bindings.get(label) !== undefined) {
      pattern += escapeRegExp(bindings.get(label) as string);
    } else if (captured.includes(label)) {
      pattern += `\\k<g${captured.indexOf(label)}>`;
    } else {
      pattern += `(?<g${captured.length}>${ID_PATTERN})`;
      captured.push(label);
    }
  }
  pattern += `${escapeRegExp(template.slice(last))}$`;
  const match = new RegExp(pattern).exec(actual);
  if (!match) {
    problems.push(`${path}: ${show(actual)} does not match template ${show(template)}`);
    return;
  }
  captured.forEach((label, index) => bindings.check(label, match.groups?.[`g${index}`] ?? '', path, problems));
}

function isTimestamp(value: string): boolean {
  const match = TIMESTAMP.exec(value);
  if (!match) return false;
  const [, , month, day, hour, minute, second, offsetHour, offsetMinute] = match.map(Number);
  return (
    month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 60 &&
    (Number.isNaN(offsetHour) || (offsetHour <= 23 && offsetMinute <= 59))
  );
}

/** Replaces `"$id:<label>"` strings with their bound values (and unescapes `$$`). */
export function substituteRequest(value: unknown, bindings: Bindings, path: string, problems: string[]): unknown {
  if (typeof value === 'string') {
    if (value.startsWith('$$')) return value.slice(1);
    if (value.startsWith('$id:')) {
      const bound = bindings.get(value.slice(4));
      if (bound === undefined) problems.push(`${path}: ${value} is not bound by an earlier response`);
      return bound;
    }
    return value;
  }
  if (Array.isArray(value)) return value.map((element, index) => substituteRequest(element, bindings, `${path}[${index}]`, problems));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, substituteRequest(inner, bindings, `${path}.${key}`, problems)]),
    );
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

function typesOf(events: unknown[]): string {
  return events.map((event) => (event && typeof event === 'object' ? String((event as { type?: unknown }).type) : show(event))).join(', ');
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  return truncate(JSON.stringify(value), 200);
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length - max} more chars)` : text;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
