import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

/**
 * OpenAPI description of the ChatKit protocol endpoint. The wire format is OpenAI's ChatKit
 * custom-backend protocol (see docs/chatkit-protocol.md); these schemas document the request
 * union precisely and the answers in outline (items and widgets are open-ended JSON).
 */

const str: SchemaObject = { type: 'string' };
const obj: SchemaObject = { type: 'object', additionalProperties: true };

const userMessageInput: SchemaObject = {
  type: 'object',
  required: ['content'],
  properties: {
    content: {
      type: 'array',
      items: {
        oneOf: [
          { type: 'object', required: ['type', 'text'], properties: { type: { type: 'string', enum: ['input_text'] }, text: str } },
          {
            type: 'object',
            required: ['type', 'id', 'text', 'data', 'interactive'],
            properties: { type: { type: 'string', enum: ['input_tag'] }, id: str, text: str, data: obj, group: str, interactive: { type: 'boolean' } },
          },
        ],
      },
    },
    attachments: { type: 'array', items: str, description: 'Attachment ids from `attachments.create`.' },
    quoted_text: str,
    inference_options: { type: 'object', properties: { tool_choice: { type: 'object', properties: { id: str } }, model: str } },
  },
};

const action: SchemaObject = { type: 'object', required: ['type'], properties: { type: str, payload: {} } };
const list: Record<string, SchemaObject> = {
  limit: { type: 'integer', minimum: 0, description: '0 or absent: 20.' },
  order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
  after: { type: 'string', description: 'Exclusive cursor: the `after` of the previous page.' },
};

/** `params` of every request type; `required` lists the mandatory params. */
const REQUESTS: Array<{ type: string; streaming: boolean; required: string[]; properties: Record<string, SchemaObject> }> = [
  { type: 'threads.create', streaming: true, required: ['input'], properties: { input: userMessageInput } },
  { type: 'threads.add_user_message', streaming: true, required: ['thread_id', 'input'], properties: { thread_id: str, input: userMessageInput } },
  { type: 'threads.add_client_tool_output', streaming: true, required: ['thread_id', 'result'], properties: { thread_id: str, result: {} } },
  {
    type: 'threads.add_structured_input',
    streaming: true,
    required: ['thread_id', 'item_id', 'input'],
    properties: {
      thread_id: str,
      item_id: str,
      input: {
        type: 'object',
        required: ['status'],
        properties: {
          status: { type: 'string', enum: ['answered', 'skipped'] },
          answers: {
            type: 'object',
            additionalProperties: { type: 'object', properties: { values: { type: 'array', items: str }, skipped: { type: 'boolean' } } },
          },
        },
      },
    },
  },
  { type: 'threads.retry_after_item', streaming: true, required: ['thread_id', 'item_id'], properties: { thread_id: str, item_id: str } },
  { type: 'threads.custom_action', streaming: true, required: ['thread_id', 'action'], properties: { thread_id: str, item_id: str, action } },
  { type: 'threads.get_by_id', streaming: false, required: ['thread_id'], properties: { thread_id: str } },
  { type: 'threads.list', streaming: false, required: [], properties: list },
  { type: 'threads.update', streaming: false, required: ['thread_id', 'title'], properties: { thread_id: str, title: str } },
  { type: 'threads.delete', streaming: false, required: ['thread_id'], properties: { thread_id: str } },
  { type: 'items.list', streaming: false, required: ['thread_id'], properties: { thread_id: str, ...list } },
  {
    type: 'items.feedback',
    streaming: false,
    required: ['thread_id', 'item_ids', 'kind'],
    properties: { thread_id: str, item_ids: { type: 'array', items: str }, kind: { type: 'string', enum: ['positive', 'negative'] } },
  },
  {
    type: 'attachments.create',
    streaming: false,
    required: ['name', 'size', 'mime_type'],
    properties: { name: str, size: { type: 'integer', minimum: 0 }, mime_type: str },
  },
  { type: 'attachments.delete', streaming: false, required: ['attachment_id'], properties: { attachment_id: str } },
  {
    type: 'input.transcribe',
    streaming: false,
    required: ['audio_base64', 'mime_type'],
    properties: { audio_base64: { type: 'string', format: 'byte' }, mime_type: { type: 'string', example: 'audio/webm;codecs=opus' } },
  },
  { type: 'threads.sync_custom_action', streaming: false, required: ['thread_id', 'action'], properties: { thread_id: str, item_id: str, action } },
];

/** The request body: `{type, params, metadata?}`, one variant per request type. */
export const CHATKIT_REQUEST_SCHEMA: SchemaObject = {
  title: 'ChatKitRequest',
  description:
    'A ChatKit request. The first six types answer `text/event-stream`, the others `application/json`. Unknown top-level ' +
    'and params keys, and `metadata`, are ignored.',
  oneOf: REQUESTS.map(({ type, streaming, required, properties }) => ({
    type: 'object',
    title: type,
    description: streaming ? 'Streaming (SSE).' : 'JSON answer.',
    required: ['type', 'params'],
    properties: {
      type: { type: 'string', enum: [type] },
      params: { type: 'object', required: required.length ? required : undefined, properties },
      metadata: obj,
    },
  })),
  discriminator: { propertyName: 'type' },
};

/** The 200 answers: JSON for the JSON requests, SSE frames for the streaming ones. */
export const CHATKIT_OK_CONTENT = {
  'application/json': {
    schema: {
      ...obj,
      description:
        'By type: `threads.get_by_id`/`threads.update` → Thread; `threads.list` → Page<Thread>; `items.list` → Page<ThreadItem>; ' +
        '`attachments.create` → Attachment (with `upload_descriptor`); `input.transcribe` → `{text}`; ' +
        '`threads.sync_custom_action` → `{updated_item?}`; `threads.delete`, `items.feedback`, `attachments.delete` → `{}`. ' +
        'Unset fields are omitted, never null.',
    },
  },
  'text/event-stream': {
    schema: {
      type: 'string',
      description:
        'One `data: <compact JSON>\\n\\n` frame per event (no `event:`/`id:` lines; `: keep-alive` comments after 15 s of silence). ' +
        'Events: `thread.created`, `thread.updated`, `thread.item.added`, `thread.item.updated`, `thread.item.done`, ' +
        '`thread.item.replaced`, `thread.item.removed`, `stream_options` (first event of every runner-driven stream), ' +
        '`progress_update`, `client_effect`, `error` (`{code, message?, allow_retry}`), `notice`. The stream ends when the ' +
        'response ends; the client stops it by aborting the request.',
    },
  },
};
