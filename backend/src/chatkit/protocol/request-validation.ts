import { findJsonInputProblem } from '../../common/http/json-input';
import { ChatKitInvalidRequestError, InvalidRequestDetails } from './errors';
import type {
  Action,
  ChatKitRequest,
  ChatKitRequestType,
  CustomActionParams,
  InferenceOptions,
  JsonObject,
  JsonValue,
  ListParams,
  StructuredInputAnswerSubmission,
  StructuredInputSubmission,
  UserMessageContent,
  UserMessageInput,
} from './types';

/**
 * Validation of ChatKit request bodies, mirroring the pydantic models of chatkit-python 1.6.5
 * (`ChatKitReq`) with the leniency and strictness the conformance README requires:
 * - `params` is required (`{}` is fine where every param is optional);
 * - required params missing, wrong JSON types, enum values outside `order`/`kind`/`status`,
 *   unknown content part types and `title: null` are invalid;
 * - unknown keys and the top-level `metadata` are ignored (and dropped from the result);
 * - `limit` 0/null/absent → 20, `order` → `desc`, `attachments` → `[]`, `inference_options` → `{}`.
 *
 * JSON types are checked strictly: pydantic's lax mode would also accept `"10"` for an integer,
 * but the README asks for "wrong JSON type → invalid", and the client always sends numbers.
 */

/** Page size used when `limit` is 0 or absent (the reference `DEFAULT_PAGE_SIZE`). */
export const DEFAULT_PAGE_SIZE = 20;

/**
 * Input limits (docs/rate-limits.md, "Chat input limits"). The reference has none; each is far above
 * what the ChatKit client sends, and each is checked before any work (400 `invalid_request`).
 * Lengths are JavaScript string lengths (UTF-16 code units).
 */
export const CHATKIT_INPUT_LIMITS = {
  /** `threads.update` title: shown in every `threads.list`. */
  threadTitleLength: 512,
  /** `attachments.create` name. */
  attachmentNameLength: 512,
  /** Attachments one user message may carry. */
  messageAttachments: 20,
  /** Content parts of one user message. */
  messageContentParts: 100,
  /** Text of one user message: every `input_text`/`input_tag` text plus `quoted_text`. Apart from the body limit dictation needs. */
  messageTextLength: 100_000,
  /** `items.feedback` ids in one request (the client sends the items of one answer). */
  feedbackItemIds: 100,
  /** Length of any one id a request names (ids Parley makes are far shorter). */
  idLength: 128,
} as const;

/** Outcome of `parseChatKitRequest`. */
export type ParseChatKitRequestResult = { ok: true; request: ChatKitRequest } | { ok: false; details: InvalidRequestDetails };

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function has(obj: Obj, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Collects every problem with its dotted path, so one response lists them all. */
class Reader {
  readonly fields: Record<string, string[]> = {};

  get failed(): boolean {
    return Object.keys(this.fields).length > 0;
  }

  fail(path: string, message: string): undefined {
    (this.fields[path] ??= []).push(message);
    return undefined;
  }

  /** A required string (null is invalid). */
  string(obj: Obj, key: string, path: string): string | undefined {
    if (!has(obj, key) || obj[key] === undefined) return this.fail(path, 'is required');
    const value = obj[key];
    return typeof value === 'string' ? value : this.fail(path, `must be a string, got ${describe(value)}`);
  }

  /** An optional string; absent and null both mean "unset" (pydantic `str | None`). */
  optionalString(obj: Obj, key: string, path: string): string | undefined {
    const value = obj[key];
    if (value === undefined || value === null || !has(obj, key)) return undefined;
    return typeof value === 'string' ? value : this.fail(path, `must be a string, got ${describe(value)}`);
  }

  /** A required string of at most `max` characters. */
  boundedString(obj: Obj, key: string, path: string, max: number): string | undefined {
    const value = this.string(obj, key, path);
    if (value !== undefined && value.length > max) return this.fail(path, `must be at most ${max} characters, got ${value.length}`);
    return value;
  }

  /** A required object. */
  object(obj: Obj, key: string, path: string): Obj | undefined {
    if (!has(obj, key) || obj[key] === undefined) return this.fail(path, 'is required');
    const value = obj[key];
    return isObject(value) ? value : this.fail(path, `must be an object, got ${describe(value)}`);
  }

  /** A required array of strings. */
  stringArray(obj: Obj, key: string, path: string, limits?: { maxItems: number; maxLength: number }): string[] | undefined {
    if (!has(obj, key) || obj[key] === undefined) return this.fail(path, 'is required');
    return this.stringArrayValue(obj[key], path, limits);
  }

  stringArrayValue(value: unknown, path: string, limits?: { maxItems: number; maxLength: number }): string[] | undefined {
    if (!Array.isArray(value)) return this.fail(path, `must be an array of strings, got ${describe(value)}`);
    // Checked before looking at any element: a huge array costs nothing more than its parse.
    if (limits && value.length > limits.maxItems) return this.fail(path, `must have at most ${limits.maxItems} entries, got ${value.length}`);
    let ok = true;
    value.forEach((element, index) => {
      if (typeof element !== 'string') {
        this.fail(`${path}.${index}`, `must be a string, got ${describe(element)}`);
        ok = false;
      } else if (limits && element.length > limits.maxLength) {
        this.fail(`${path}.${index}`, `must be at most ${limits.maxLength} characters`);
        ok = false;
      }
    });
    return ok ? (value as string[]) : undefined;
  }

  /** A required non-negative integer. */
  nonNegativeInteger(obj: Obj, key: string, path: string): number | undefined {
    if (!has(obj, key) || obj[key] === undefined) return this.fail(path, 'is required');
    return this.nonNegativeIntegerValue(obj[key], path);
  }

  nonNegativeIntegerValue(value: unknown, path: string): number | undefined {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      return this.fail(path, `must be an integer, got ${describe(value)}`);
    }
    return value >= 0 ? value : this.fail(path, 'must not be negative');
  }

  /** A string restricted to `allowed`; absent gives `fallback` (null is invalid, as in pydantic). */
  enumValue<T extends string>(obj: Obj, key: string, path: string, allowed: readonly T[], fallback?: T): T | undefined {
    if (!has(obj, key) || obj[key] === undefined) {
      return fallback !== undefined ? fallback : this.fail(path, 'is required');
    }
    const value = obj[key];
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    return this.fail(path, `must be one of: ${allowed.join(', ')}`);
  }
}

function parseContentPart(reader: Reader, value: unknown, path: string): UserMessageContent | undefined {
  if (!isObject(value)) return reader.fail(path, `must be an object, got ${describe(value)}`);
  const type = value.type;
  if (type === 'input_text') {
    const text = reader.string(value, 'text', `${path}.text`);
    return text === undefined ? undefined : { type, text };
  }
  if (type === 'input_tag') {
    const id = reader.string(value, 'id', `${path}.id`);
    const text = reader.string(value, 'text', `${path}.text`);
    const data = reader.object(value, 'data', `${path}.data`);
    const group = reader.optionalString(value, 'group', `${path}.group`);
    let interactive = false;
    if (has(value, 'interactive') && value.interactive !== undefined) {
      if (typeof value.interactive === 'boolean') interactive = value.interactive;
      else reader.fail(`${path}.interactive`, `must be a boolean, got ${describe(value.interactive)}`);
    }
    if (id === undefined || text === undefined || data === undefined) return undefined;
    // `interactive` is always present on the wire: pydantic serialises the default `false`.
    return { type, id, text, data: data as JsonObject, ...(group !== undefined ? { group } : {}), interactive };
  }
  return reader.fail(`${path}.type`, 'must be one of: input_text, input_tag');
}

function parseInferenceOptions(reader: Reader, obj: Obj, path: string): InferenceOptions {
  const options: InferenceOptions = {};
  if (!has(obj, 'inference_options') || obj.inference_options === undefined) return options;
  const raw = obj.inference_options;
  if (!isObject(raw)) {
    reader.fail(path, `must be an object, got ${describe(raw)}`);
    return options;
  }
  if (raw.tool_choice !== undefined && raw.tool_choice !== null) {
    if (!isObject(raw.tool_choice)) {
      reader.fail(`${path}.tool_choice`, `must be an object, got ${describe(raw.tool_choice)}`);
    } else {
      const id = reader.string(raw.tool_choice, 'id', `${path}.tool_choice.id`);
      if (id !== undefined) options.tool_choice = { id };
    }
  }
  const model = reader.optionalString(raw, 'model', `${path}.model`);
  if (model !== undefined) options.model = model;
  return options;
}

function parseUserMessageInput(reader: Reader, params: Obj, path: string): UserMessageInput | undefined {
  const input = reader.object(params, 'input', path);
  if (!input) return undefined;
  let content: UserMessageContent[] | undefined;
  if (!has(input, 'content') || input.content === undefined) {
    reader.fail(`${path}.content`, 'is required');
  } else if (!Array.isArray(input.content)) {
    reader.fail(`${path}.content`, `must be an array, got ${describe(input.content)}`);
  } else if (input.content.length > CHATKIT_INPUT_LIMITS.messageContentParts) {
    reader.fail(`${path}.content`, `must have at most ${CHATKIT_INPUT_LIMITS.messageContentParts} parts, got ${input.content.length}`);
  } else {
    const parts = input.content.map((part, index) => parseContentPart(reader, part, `${path}.content.${index}`));
    if (parts.every((part) => part !== undefined)) content = parts as UserMessageContent[];
  }
  let attachments: string[] | undefined = [];
  if (has(input, 'attachments') && input.attachments !== undefined) {
    attachments = reader.stringArrayValue(input.attachments, `${path}.attachments`, {
      maxItems: CHATKIT_INPUT_LIMITS.messageAttachments,
      maxLength: CHATKIT_INPUT_LIMITS.idLength,
    });
  }
  const quotedText = reader.optionalString(input, 'quoted_text', `${path}.quoted_text`);
  const inferenceOptions = parseInferenceOptions(reader, input, `${path}.inference_options`);
  if (content) {
    const textLength = content.reduce((sum, part) => sum + part.text.length, quotedText?.length ?? 0);
    if (textLength > CHATKIT_INPUT_LIMITS.messageTextLength) {
      reader.fail(`${path}.content`, `text must be at most ${CHATKIT_INPUT_LIMITS.messageTextLength} characters in all (quoted_text included), got ${textLength}`);
      return undefined;
    }
  }
  if (!content || !attachments) return undefined;
  return {
    content,
    attachments,
    ...(quotedText !== undefined ? { quoted_text: quotedText } : {}),
    inference_options: inferenceOptions,
  };
}

function parseListParams(reader: Reader, params: Obj): ListParams {
  let limit = DEFAULT_PAGE_SIZE;
  if (params.limit !== undefined && params.limit !== null) {
    const parsed = reader.nonNegativeIntegerValue(params.limit, 'params.limit');
    // 0 means "default", exactly as the reference's `params.limit or DEFAULT_PAGE_SIZE`.
    if (parsed) limit = parsed;
  }
  const order = reader.enumValue(params, 'order', 'params.order', ['asc', 'desc'] as const, 'desc') ?? 'desc';
  const after = reader.optionalString(params, 'after', 'params.after');
  return { limit, order, ...(after !== undefined ? { after } : {}) };
}

function parseAction(reader: Reader, params: Obj): Action | undefined {
  const action = reader.object(params, 'action', 'params.action');
  if (!action) return undefined;
  const type = reader.string(action, 'type', 'params.action.type');
  if (type === undefined) return undefined;
  // The payload is opaque and untrusted; it is passed through unchanged (absent stays absent).
  return has(action, 'payload') && action.payload !== undefined ? { type, payload: action.payload as JsonValue } : { type };
}

function parseCustomActionParams(reader: Reader, params: Obj): CustomActionParams | undefined {
  const threadId = reader.string(params, 'thread_id', 'params.thread_id');
  const itemId = reader.optionalString(params, 'item_id', 'params.item_id');
  const action = parseAction(reader, params);
  if (threadId === undefined || !action) return undefined;
  return { thread_id: threadId, ...(itemId !== undefined ? { item_id: itemId } : {}), action };
}

function parseStructuredSubmission(reader: Reader, params: Obj): StructuredInputSubmission | undefined {
  const input = reader.object(params, 'input', 'params.input');
  if (!input) return undefined;
  const status = reader.enumValue(input, 'status', 'params.input.status', ['answered', 'skipped'] as const, 'answered');
  const answers: Array<[string, StructuredInputAnswerSubmission]> = [];
  if (has(input, 'answers') && input.answers !== undefined) {
    if (!isObject(input.answers)) {
      reader.fail('params.input.answers', `must be an object, got ${describe(input.answers)}`);
    } else {
      for (const [inputId, raw] of Object.entries(input.answers)) {
        const path = `params.input.answers.${inputId}`;
        if (!isObject(raw)) {
          reader.fail(path, `must be an object, got ${describe(raw)}`);
          continue;
        }
        let values: string[] | undefined = [];
        if (raw.values !== undefined) values = reader.stringArrayValue(raw.values, `${path}.values`);
        let skipped = false;
        if (raw.skipped !== undefined) {
          if (typeof raw.skipped === 'boolean') skipped = raw.skipped;
          else reader.fail(`${path}.skipped`, `must be a boolean, got ${describe(raw.skipped)}`);
        }
        if (values) answers.push([inputId, { values, skipped }]);
      }
    }
  }
  if (!status) return undefined;
  // fromEntries defines own properties, so an answer keyed "__proto__" cannot touch the prototype.
  return { status, answers: Object.fromEntries(answers) };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

type ParamsParser = (reader: Reader, params: Obj) => ChatKitRequest['params'] | undefined;

/** One parser per request type; the object's own keys are the accepted `type` values. */
const PARSERS: Record<ChatKitRequestType, ParamsParser> = {
  'threads.create': (reader, params) => {
    const input = parseUserMessageInput(reader, params, 'params.input');
    return input && { input };
  },
  'threads.add_user_message': (reader, params) => {
    const threadId = reader.string(params, 'thread_id', 'params.thread_id');
    const input = parseUserMessageInput(reader, params, 'params.input');
    return threadId !== undefined && input ? { thread_id: threadId, input } : undefined;
  },
  'threads.add_client_tool_output': (reader, params) => {
    const threadId = reader.string(params, 'thread_id', 'params.thread_id');
    // `result: Any` is required in the reference, but `null` is a valid result.
    if (!has(params, 'result') || params.result === undefined) reader.fail('params.result', 'is required');
    return threadId !== undefined && has(params, 'result') && params.result !== undefined
      ? { thread_id: threadId, result: params.result as JsonValue }
      : undefined;
  },
  'threads.add_structured_input': (reader, params) => {
    const threadId = reader.string(params, 'thread_id', 'params.thread_id');
    const itemId = reader.string(params, 'item_id', 'params.item_id');
    const input = parseStructuredSubmission(reader, params);
    return threadId !== undefined && itemId !== undefined && input ? { thread_id: threadId, item_id: itemId, input } : undefined;
  },
  'threads.retry_after_item': (reader, params) => {
    const threadId = reader.string(params, 'thread_id', 'params.thread_id');
    const itemId = reader.string(params, 'item_id', 'params.item_id');
    return threadId !== undefined && itemId !== undefined ? { thread_id: threadId, item_id: itemId } : undefined;
  },
  'threads.custom_action': (reader, params) => parseCustomActionParams(reader, params),
  'threads.sync_custom_action': (reader, params) => parseCustomActionParams(reader, params),
  'threads.get_by_id': (reader, params) => {
    const threadId = reader.string(params, 'thread_id', 'params.thread_id');
    return threadId !== undefined ? { thread_id: threadId } : undefined;
  },
  'threads.list': (reader, params) => parseListParams(reader, params),
  'threads.update': (reader, params) => {
    const threadId = reader.string(params, 'thread_id', 'params.thread_id');
    const title = reader.boundedString(params, 'title', 'params.title', CHATKIT_INPUT_LIMITS.threadTitleLength);
    return threadId !== undefined && title !== undefined ? { thread_id: threadId, title } : undefined;
  },
  'threads.delete': (reader, params) => {
    const threadId = reader.string(params, 'thread_id', 'params.thread_id');
    return threadId !== undefined ? { thread_id: threadId } : undefined;
  },
  'items.list': (reader, params) => {
    const threadId = reader.string(params, 'thread_id', 'params.thread_id');
    const list = parseListParams(reader, params);
    return threadId !== undefined ? { thread_id: threadId, ...list } : undefined;
  },
  'items.feedback': (reader, params) => {
    const threadId = reader.string(params, 'thread_id', 'params.thread_id');
    const itemIds = reader.stringArray(params, 'item_ids', 'params.item_ids', {
      maxItems: CHATKIT_INPUT_LIMITS.feedbackItemIds,
      maxLength: CHATKIT_INPUT_LIMITS.idLength,
    });
    const kind = reader.enumValue(params, 'kind', 'params.kind', ['positive', 'negative'] as const);
    return threadId !== undefined && itemIds && kind ? { thread_id: threadId, item_ids: itemIds, kind } : undefined;
  },
  'attachments.create': (reader, params) => {
    const name = reader.boundedString(params, 'name', 'params.name', CHATKIT_INPUT_LIMITS.attachmentNameLength);
    const size = reader.nonNegativeInteger(params, 'size', 'params.size');
    const mimeType = reader.string(params, 'mime_type', 'params.mime_type');
    return name !== undefined && size !== undefined && mimeType !== undefined ? { name, size, mime_type: mimeType } : undefined;
  },
  'attachments.delete': (reader, params) => {
    const attachmentId = reader.string(params, 'attachment_id', 'params.attachment_id');
    return attachmentId !== undefined ? { attachment_id: attachmentId } : undefined;
  },
  'input.transcribe': (reader, params) => {
    const audio = reader.string(params, 'audio_base64', 'params.audio_base64');
    const mimeType = reader.string(params, 'mime_type', 'params.mime_type');
    if (audio !== undefined && !BASE64.test(audio)) reader.fail('params.audio_base64', 'must be base64');
    return audio !== undefined && mimeType !== undefined ? { audio_base64: audio, mime_type: mimeType } : undefined;
  },
};

/** The accepted request types, in catalogue order. */
export const CHATKIT_REQUEST_TYPES = Object.keys(PARSERS) as ChatKitRequestType[];

/**
 * Validates a parsed JSON body against the ChatKit request catalogue. Returns the normalised
 * request, or the per-field problems for an `invalid_request` answer.
 */
export function parseChatKitRequest(body: unknown): ParseChatKitRequestResult {
  const reader = new Reader();
  if (!isObject(body)) {
    reader.fail('body', `must be a JSON object, got ${describe(body)}`);
    return { ok: false, details: { fields: reader.fields } };
  }
  const type = body.type;
  let parser: ParamsParser | undefined;
  if (!has(body, 'type') || type === undefined) reader.fail('type', 'is required');
  else if (typeof type !== 'string') reader.fail('type', `must be a string, got ${describe(type)}`);
  // Own-key lookup: `type: "constructor"` must not reach Object.prototype. Types are case-sensitive.
  else if (!has(PARSERS, type)) reader.fail('type', 'is not a known ChatKit request type');
  else parser = PARSERS[type as ChatKitRequestType];

  let params: Obj | undefined;
  if (!has(body, 'params') || body.params === undefined) reader.fail('params', 'is required');
  else if (!isObject(body.params)) reader.fail('params', `must be an object, got ${describe(body.params)}`);
  else params = body.params;

  if (!parser || !params) return { ok: false, details: { fields: reader.fields } };
  const parsed = parser(reader, params);
  if (reader.failed || parsed === undefined) return { ok: false, details: { fields: reader.fields } };
  return { ok: true, request: { type, params: parsed } as ChatKitRequest };
}

/** Like `parseChatKitRequest`, but throws `ChatKitInvalidRequestError` on failure. */
export function validateChatKitRequest(body: unknown): ChatKitRequest {
  const result = parseChatKitRequest(body);
  if (!result.ok) throw new ChatKitInvalidRequestError('The request body is not a valid ChatKit request.', result.details);
  return result.request;
}

/**
 * Parses raw body text for hosts that read the body themselves (the reference ignores the
 * request Content-Type, and so may a host). Unparsable text is an `invalid_request`.
 */
export function parseJsonBody(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ChatKitInvalidRequestError('The request body is not valid JSON.', { fields: { body: ['must be valid JSON'] } });
  }
  // Text the store cannot keep (NUL, unpaired surrogates) and absurd nesting are refused before
  // any stream opens, instead of failing mid-stream when the item or title is saved.
  const problem = findJsonInputProblem(value);
  if (problem) throw new ChatKitInvalidRequestError(`\`${problem.path}\` ${problem.message}.`, { fields: { [problem.path]: [problem.message] } });
  return value;
}
