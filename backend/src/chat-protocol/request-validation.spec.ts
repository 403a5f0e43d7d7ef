import { ChatKitInvalidRequestError } from './errors';
import { CHATKIT_REQUEST_TYPES, parseChatKitRequest, parseJsonBody, validateChatKitRequest } from './request-validation';
import type { ChatKitRequest } from './types';

function ok(body: unknown): ChatKitRequest {
  const result = parseChatKitRequest(body);
  if (!result.ok) throw new Error(`expected valid, got ${JSON.stringify(result.details)}`);
  return result.request;
}

function fields(body: unknown): Record<string, string[]> {
  const result = parseChatKitRequest(body);
  if (result.ok) throw new Error(`expected invalid, got ${JSON.stringify(result.request)}`);
  return result.details.fields;
}

const message = { content: [{ type: 'input_text', text: 'hi' }], attachments: [], inference_options: {} };

describe('parseChatKitRequest', () => {
  it('knows exactly the 16 request types of chatkit-python 1.6.5', () => {
    expect([...CHATKIT_REQUEST_TYPES].sort()).toEqual(
      [
        'attachments.create',
        'attachments.delete',
        'input.transcribe',
        'items.feedback',
        'items.list',
        'threads.add_client_tool_output',
        'threads.add_structured_input',
        'threads.add_user_message',
        'threads.create',
        'threads.custom_action',
        'threads.delete',
        'threads.get_by_id',
        'threads.list',
        'threads.retry_after_item',
        'threads.sync_custom_action',
        'threads.update',
      ].sort(),
    );
  });

  describe('envelope', () => {
    it.each([null, [], 'threads.list', 42, true])('rejects a body that is not an object: %j', (body) => {
      expect(fields(body)).toEqual({ body: [expect.stringContaining('must be a JSON object')] });
    });

    it('requires params, but accepts params {} where every param is optional', () => {
      expect(fields({ type: 'threads.list' })).toEqual({ params: ['is required'] });
      expect(fields({ type: 'threads.list', params: [] })).toEqual({ params: ['must be an object, got an array'] });
      expect(ok({ type: 'threads.list', params: {} })).toEqual({ type: 'threads.list', params: { limit: 20, order: 'desc' } });
    });

    it.each([
      [{ params: {} }, 'is required'],
      [{ type: '', params: {} }, 'is not a known ChatKit request type'],
      [{ type: 'threads.nuke', params: {} }, 'is not a known ChatKit request type'],
      [{ type: 'THREADS.LIST', params: {} }, 'is not a known ChatKit request type'],
      [{ type: 'constructor', params: {} }, 'is not a known ChatKit request type'],
      [{ type: '__proto__', params: {} }, 'is not a known ChatKit request type'],
      [{ type: 42, params: {} }, 'must be a string, got a number'],
    ])('rejects type of %j', (body, message) => {
      expect(fields(body)).toEqual({ type: [message] });
    });

    it('reports the type and params problems together', () => {
      expect(fields({ type: 7 })).toEqual({ type: ['must be a string, got a number'], params: ['is required'] });
    });

    it('ignores metadata (even a non-object) and unknown keys, and drops them', () => {
      const request = ok({
        type: 'threads.get_by_id',
        params: { thread_id: 'thr_1', extra: true },
        metadata: 'anything',
        other: 1,
      });
      expect(request).toEqual({ type: 'threads.get_by_id', params: { thread_id: 'thr_1' } });
    });
  });

  describe('user message input', () => {
    it('defaults attachments to [] and inference_options to {}', () => {
      const request = ok({ type: 'threads.create', params: { input: { content: [{ type: 'input_text', text: 'hi', junk: 1 }] } } });
      expect(request).toEqual({
        type: 'threads.create',
        params: { input: { content: [{ type: 'input_text', text: 'hi' }], attachments: [], inference_options: {} } },
      });
    });

    it('normalises tags (interactive defaults to false, null group omitted) and keeps inference options', () => {
      const request = ok({
        type: 'threads.add_user_message',
        params: {
          thread_id: 'thr_1',
          input: {
            content: [{ type: 'input_tag', id: 'doc', text: '@Doc', data: { a: 1 }, group: null }],
            attachments: ['atc_1'],
            quoted_text: null,
            inference_options: { model: 'm', tool_choice: { id: 'search', extra: 1 }, unknown: true },
          },
        },
      });
      expect(request).toEqual({
        type: 'threads.add_user_message',
        params: {
          thread_id: 'thr_1',
          input: {
            content: [{ type: 'input_tag', id: 'doc', text: '@Doc', data: { a: 1 }, interactive: false }],
            attachments: ['atc_1'],
            inference_options: { model: 'm', tool_choice: { id: 'search' } },
          },
        },
      });
    });

    it('rejects missing input, a non-object input, missing content and unknown part types', () => {
      expect(fields({ type: 'threads.add_user_message', params: { thread_id: 't' } })).toEqual({ 'params.input': ['is required'] });
      expect(fields({ type: 'threads.add_user_message', params: { thread_id: 't', input: 'hello' } })).toEqual({
        'params.input': ['must be an object, got a string'],
      });
      expect(fields({ type: 'threads.create', params: { input: {} } })).toEqual({ 'params.input.content': ['is required'] });
      expect(fields({ type: 'threads.create', params: { input: { ...message, content: [{ type: 'input_image', url: 'x' }] } } })).toEqual({
        'params.input.content.0.type': ['must be one of: input_text, input_tag'],
      });
    });

    it('checks the JSON types of nested fields', () => {
      expect(
        fields({
          type: 'threads.create',
          params: {
            input: {
              content: [{ type: 'input_text', text: 5 }, { type: 'input_tag', id: 'x', text: 'y', data: [], interactive: 'yes' }],
              attachments: ['ok', 3],
              quoted_text: 1,
              inference_options: { tool_choice: 'search' },
            },
          },
        }),
      ).toEqual({
        'params.input.content.0.text': ['must be a string, got a number'],
        'params.input.content.1.data': ['must be an object, got an array'],
        'params.input.content.1.interactive': ['must be a boolean, got a string'],
        'params.input.attachments.1': ['must be a string, got a number'],
        'params.input.quoted_text': ['must be a string, got a number'],
        'params.input.inference_options.tool_choice': ['must be an object, got a string'],
      });
    });

    it('rejects inference_options: null (the reference type is not optional)', () => {
      expect(fields({ type: 'threads.create', params: { input: { ...message, inference_options: null } } })).toEqual({
        'params.input.inference_options': ['must be an object, got null'],
      });
    });
  });

  describe('lists', () => {
    it.each([
      [{}, { limit: 20, order: 'desc' }],
      [{ limit: 0 }, { limit: 20, order: 'desc' }],
      [{ limit: null, after: null }, { limit: 20, order: 'desc' }],
      [{ limit: 5, order: 'asc', after: 'thr_1' }, { limit: 5, order: 'asc', after: 'thr_1' }],
    ])('threads.list %j → %j', (params, expected) => {
      expect(ok({ type: 'threads.list', params })).toEqual({ type: 'threads.list', params: expected });
    });

    it('defaults items.list to desc as well', () => {
      expect(ok({ type: 'items.list', params: { thread_id: 't' } })).toEqual({
        type: 'items.list',
        params: { thread_id: 't', limit: 20, order: 'desc' },
      });
    });

    it.each([
      [{ limit: 'ten' }, 'params.limit', 'must be an integer, got a string'],
      [{ limit: '10' }, 'params.limit', 'must be an integer, got a string'],
      [{ limit: 1.5 }, 'params.limit', 'must be an integer, got a number'],
      [{ limit: -1 }, 'params.limit', 'must not be negative'],
      [{ order: 'sideways' }, 'params.order', 'must be one of: asc, desc'],
      [{ order: null }, 'params.order', 'must be one of: asc, desc'],
      [{ after: 5 }, 'params.after', 'must be a string, got a number'],
    ])('rejects %j', (params, path, message) => {
      expect(fields({ type: 'threads.list', params })).toEqual({ [path]: [message] });
    });
  });

  describe('thread and item operations', () => {
    it('requires thread_id as a string', () => {
      expect(fields({ type: 'threads.get_by_id', params: {} })).toEqual({ 'params.thread_id': ['is required'] });
      expect(fields({ type: 'threads.get_by_id', params: { thread_id: 123 } })).toEqual({ 'params.thread_id': ['must be a string, got a number'] });
      expect(fields({ type: 'threads.delete', params: { thread_id: null } })).toEqual({ 'params.thread_id': ['must be a string, got null'] });
    });

    it('rejects title null but accepts an empty title', () => {
      expect(fields({ type: 'threads.update', params: { thread_id: 't', title: null } })).toEqual({ 'params.title': ['must be a string, got null'] });
      expect(ok({ type: 'threads.update', params: { thread_id: 't', title: '' } })).toEqual({
        type: 'threads.update',
        params: { thread_id: 't', title: '' },
      });
    });

    it('validates feedback kind and item_ids', () => {
      expect(fields({ type: 'items.feedback', params: { thread_id: 't', item_ids: ['a'], kind: 'meh' } })).toEqual({
        'params.kind': ['must be one of: positive, negative'],
      });
      expect(fields({ type: 'items.feedback', params: { thread_id: 't', item_ids: 'a', kind: 'positive' } })).toEqual({
        'params.item_ids': ['must be an array of strings, got a string'],
      });
      expect(fields({ type: 'items.feedback', params: { thread_id: 't', item_ids: ['a', 1] } })).toEqual({
        'params.item_ids.1': ['must be a string, got a number'],
        'params.kind': ['is required'],
      });
    });

    it('requires result for tool output, where null is a valid result', () => {
      expect(fields({ type: 'threads.add_client_tool_output', params: { thread_id: 't' } })).toEqual({ 'params.result': ['is required'] });
      expect(ok({ type: 'threads.add_client_tool_output', params: { thread_id: 't', result: null } })).toEqual({
        type: 'threads.add_client_tool_output',
        params: { thread_id: 't', result: null },
      });
    });

    it('requires retry item_id', () => {
      expect(fields({ type: 'threads.retry_after_item', params: { thread_id: 't' } })).toEqual({ 'params.item_id': ['is required'] });
    });
  });

  describe('actions', () => {
    it.each(['threads.custom_action', 'threads.sync_custom_action'])('%s requires an action with a type, keeps the payload as sent', (type) => {
      expect(fields({ type, params: { thread_id: 't' } })).toEqual({ 'params.action': ['is required'] });
      expect(fields({ type, params: { thread_id: 't', action: { payload: 1 } } })).toEqual({ 'params.action.type': ['is required'] });
      expect(ok({ type, params: { thread_id: 't', item_id: null, action: { type: 'a' } } })).toEqual({
        type,
        params: { thread_id: 't', action: { type: 'a' } },
      });
      expect(ok({ type, params: { thread_id: 't', item_id: 'w', action: { type: 'a', payload: { z: 1, a: [null] }, x: 1 } } })).toEqual({
        type,
        params: { thread_id: 't', item_id: 'w', action: { type: 'a', payload: { z: 1, a: [null] } } },
      });
    });
  });

  describe('structured input', () => {
    it('defaults status to answered, answers to {}, and each answer to values [] skipped false', () => {
      expect(ok({ type: 'threads.add_structured_input', params: { thread_id: 't', item_id: 'i', input: {} } })).toEqual({
        type: 'threads.add_structured_input',
        params: { thread_id: 't', item_id: 'i', input: { status: 'answered', answers: {} } },
      });
      const request = ok({
        type: 'threads.add_structured_input',
        params: { thread_id: 't', item_id: 'i', input: { status: 'skipped', answers: { a: {}, b: { values: ['x'], skipped: true } } } },
      });
      expect(request.params).toEqual({
        thread_id: 't',
        item_id: 'i',
        input: { status: 'skipped', answers: { a: { values: [], skipped: false }, b: { values: ['x'], skipped: true } } },
      });
    });

    it('rejects a bad status and badly typed answers', () => {
      expect(
        fields({
          type: 'threads.add_structured_input',
          params: { thread_id: 't', item_id: 'i', input: { status: 'maybe', answers: { a: { values: 'x' }, b: 1, c: { skipped: 'no' } } } },
        }),
      ).toEqual({
        'params.input.status': ['must be one of: answered, skipped'],
        'params.input.answers.a.values': ['must be an array of strings, got a string'],
        'params.input.answers.b': ['must be an object, got a number'],
        'params.input.answers.c.skipped': ['must be a boolean, got a string'],
      });
    });

    it('keeps a "__proto__" answer as a plain key', () => {
      const body = JSON.parse(
        '{"type":"threads.add_structured_input","params":{"thread_id":"t","item_id":"i","input":{"answers":{"__proto__":{"values":["x"]}}}}}',
      ) as unknown;
      const request = ok(body);
      if (request.type !== 'threads.add_structured_input') throw new Error('wrong type');
      expect(Object.getPrototypeOf(request.params.input.answers)).toBe(Object.prototype);
      expect(Object.keys(request.params.input.answers)).toEqual(['__proto__']);
    });
  });

  describe('attachments and transcription', () => {
    it.each([
      [{ name: 'a.txt', size: 'big', mime_type: 'text/plain' }, { 'params.size': ['must be an integer, got a string'] }],
      [{ name: 'a.txt', size: -1, mime_type: 'text/plain' }, { 'params.size': ['must not be negative'] }],
      [{ name: 'a.txt', size: 1 }, { 'params.mime_type': ['is required'] }],
    ])('rejects attachments.create %j', (params, expected) => {
      expect(fields({ type: 'attachments.create', params })).toEqual(expected);
    });

    it('accepts standard base64 audio and rejects anything else', () => {
      expect(ok({ type: 'input.transcribe', params: { audio_base64: 'AQID', mime_type: 'audio/webm;codecs=opus' } })).toEqual({
        type: 'input.transcribe',
        params: { audio_base64: 'AQID', mime_type: 'audio/webm;codecs=opus' },
      });
      expect(fields({ type: 'input.transcribe', params: { audio_base64: 'data:audio/webm;base64,AQID', mime_type: 'a' } })).toEqual({
        'params.audio_base64': ['must be base64'],
      });
    });
  });
});

describe('validateChatKitRequest / parseJsonBody', () => {
  it('throws invalid_request with per-field details', () => {
    let caught: unknown;
    try {
      validateChatKitRequest({ type: 'threads.get_by_id', params: {} });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ChatKitInvalidRequestError);
    expect(caught).toMatchObject({ code: 'invalid_request', status: 400, details: { fields: { 'params.thread_id': ['is required'] } } });
  });

  it('turns unparsable text into invalid_request and parses the rest', () => {
    expect(() => parseJsonBody('{"type": "threads.list", "params": {}')).toThrow(ChatKitInvalidRequestError);
    expect(() => parseJsonBody('')).toThrow(ChatKitInvalidRequestError);
    expect(parseJsonBody('null')).toBeNull();
  });
});
