/**
 * Malformed-input fuzzing for `npm run test:faults`: a deterministic generator of broken requests
 * (seeded PRNG, so a printed seed replays the same sequence) and a runner that fires them at one
 * Parley instance with modest concurrency and judges every answer:
 *   - no 5xx, no hang, no broken connection;
 *   - every 4xx is the documented error body (docs/errors.md):
 *     `{statusCode, code, message, requestId, details?}` as JSON, `statusCode` = the HTTP status;
 *   - no ChatKit stream reports an unexpected failure in-band (`error` event `stream.error` with
 *     `allow_retry: true`: the stream form of a 500).
 *
 * Targets: `POST /api/chatkit` as a canvas chat (chat JWT), as a share-link visitor (publish
 * token, with and without a visitor token) and without credentials; the REST routes of
 * docs/openapi.json that take bodies, ids or query parameters. Mutation categories: invalid JSON,
 * wrong types, deep nesting, huge strings and arrays, unknown `type`s, missing params, wrong-typed
 * params, unicode and NUL, arrays instead of objects, numbers out of range, bad content types and
 * encodings, truncated bodies (in the text, and on the wire), duplicated keys, prototype keys.
 */
import { createConnection } from 'node:net';
import { gzipSync } from 'node:zlib';

// ---------------------------------------------------------------------------------------------
// PRNG

/** mulberry32: small, fast, good enough to pick mutations; the same seed gives the same run. */
export function createRng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (list) => list[Math.floor(next() * list.length)],
    hex: (n) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(next() * 16)]).join(''),
    uuid: () => `${rng.hex(8)}-${rng.hex(4)}-4${rng.hex(3)}-a${rng.hex(3)}-${rng.hex(12)}`,
  };
  return rng;
}

// ---------------------------------------------------------------------------------------------
// values

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__'];

function weirdString(rng, ctx) {
  switch (rng.int(0, 27)) {
    case 0: return '';
    case 1: return ' ';
    case 2: return 'a\u0000b';
    case 3: return '\u0000';
    case 4: return '\ud800';
    case 5: return '\udfff\ud800x';
    case 6: return '😀🏳️‍🌈𝕏';
    case 7: return '\u202eevil\u202c';
    case 8: return '\u200b\u200d\ufeff';
    case 9: return '<script>alert(1)</script>';
    case 10: return "'; DROP TABLE users; --";
    case 11: return '../../../etc/passwd';
    case 12: return '%00%ZZ%';
    case 13: return 'x'.repeat(rng.int(200, 5000));
    case 14: return `thr_${rng.hex(16)}`;
    case 15: return `msg_${rng.hex(16)}`;
    case 16: return rng.uuid();
    case 17: return rng.pick(PROTO_KEYS);
    case 18: return '\r\n\t\\"\'';
    case 19: return '{"type":"threads.list","params":{}}';
    case 20: return 'e\u0301\u0308\u0327'.repeat(rng.int(1, 50));
    case 21: return '\uffff\ufffe\u{10ffff}';
    case 22: return ctx.threadId;
    case 23: return ctx.itemId;
    case 24: return ctx.workflowId;
    case 25: return 'NaN';
    case 26: return `${rng.hex(4)}@example.com`;
    default: return 'y'.repeat(rng.int(20_000, 120_000));
  }
}

function weirdNumber(rng) {
  return rng.pick([-1, 0, -0, 1.5, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e308, -1e-308, 123456789012345, Number.MAX_SAFE_INTEGER, 0.1]);
}

/** Any JSON value, type chosen at random, nested at most `depth` levels. */
function anyValue(rng, ctx, depth = 2) {
  switch (rng.int(0, depth > 0 ? 7 : 4)) {
    case 0: return null;
    case 1: return rng.chance(0.5);
    case 2: return weirdNumber(rng);
    case 3: return weirdString(rng, ctx);
    case 4: return rng.int(-5, 500);
    case 5: return Array.from({ length: rng.int(0, 4) }, () => anyValue(rng, ctx, depth - 1));
    default: {
      const obj = {};
      for (let i = rng.int(0, 4); i > 0; i--) obj[rng.chance(0.2) ? rng.pick(['a', 'type', 'params', 'id']) : weirdString(rng, ctx).slice(0, 40)] = anyValue(rng, ctx, depth - 1);
      return obj;
    }
  }
}

function typeOf(value) {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}

/** A value of another JSON type than `value`. */
function otherType(rng, ctx, value) {
  for (let i = 0; i < 20; i++) {
    const candidate = anyValue(rng, ctx, 1);
    if (typeOf(candidate) !== typeOf(value)) return candidate;
  }
  return typeOf(value) === 'string' ? 42 : 'not-the-right-type';
}

/** Every [parent, key] inside a JSON value (objects and arrays), the root excluded. */
function slots(value, out = []) {
  if (value && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      out.push([value, key]);
      slots(value[key], out);
    }
  }
  return out;
}

const clone = (value) => JSON.parse(JSON.stringify(value));

/** `[[[…1…]]]` or `{"a":{"a":…}}` of depth n, as text (never built as objects: too deep to stringify). */
function deepText(rng, n) {
  return rng.chance(0.5) ? `${'['.repeat(n)}1${']'.repeat(n)}` : `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
}

/** Inserts raw JSON text `inner` as the value of one slot of `template` (by marker replacement). */
function spliceText(rng, template, inner) {
  const copy = clone(template);
  const all = slots(copy);
  const marker = `__FUZZ_${rng.hex(8)}__`;
  if (!all.length || rng.chance(0.2)) return inner;
  const [parent, key] = rng.pick(all);
  parent[key] = marker;
  return JSON.stringify(copy).replace(`"${marker}"`, inner);
}

// ---------------------------------------------------------------------------------------------
// mutations: each returns { body (string | Buffer | undefined), headers?, raw? }

const INVALID_JSON = [
  '', ' ', '{', '}', '[', '{"type":', '{"type":"threads.list",}', "{'type':'threads.list','params':{}}", 'null', 'true', '0', '"string"',
  'NaN', 'undefined', '{"type":"threads.list","params":{}}garbage', '\ufeff{"type":"threads.list","params":{}}', '{"a":1 "b":2}', '[1,2,', '\u0000',
  '{"type":"threads.list","params":{}', 'Infinity', '-', '{"\\ud800":1}', '{"a":"\\u00"}', '{"type":"threads.list","params":{}}\n{"x":1}', '<xml/>',
];

const CONTENT_TYPES = [
  'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'multipart/form-data; boundary=xyz', 'application/json; charset=utf-16',
  'application/json; charset=latin1', 'application/json; charset=nope', 'application/xml', 'application/*+json', 'application/merge-patch+json',
  'a/b/c', ';;;', 'application/json, text/plain', 'APPLICATION/JSON', 'application/octet-stream', 'image/png',
];

const CATEGORIES = [
  'invalid-json', 'wrong-type', 'deep-nesting', 'huge', 'unknown-type', 'missing-field', 'wrong-params', 'unicode', 'array-instead',
  'numbers', 'content-type', 'encoding', 'truncated', 'duplicate-keys', 'prototype-keys', 'valid',
];

function mutate(rng, ctx, category, template, { typeField = false } = {}) {
  switch (category) {
    case 'invalid-json':
      if (rng.chance(0.3)) {
        const bytes = Buffer.alloc(rng.int(1, 300));
        for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(0, 255);
        return { body: bytes };
      }
      if (rng.chance(0.3)) {
        const text = JSON.stringify(template);
        const at = rng.int(0, Math.max(0, text.length - 1));
        return { body: text.slice(0, at) + rng.pick(['"', '{', '}', ',', ':', '\\', '\u0000', ']']) + text.slice(at + 1) };
      }
      return { body: rng.pick(INVALID_JSON) };
    case 'wrong-type': {
      const copy = clone(template);
      const all = slots(copy);
      if (!all.length) return { body: JSON.stringify(otherType(rng, ctx, copy)) };
      for (let n = rng.int(1, 3); n > 0; n--) {
        const [parent, key] = rng.pick(all);
        parent[key] = otherType(rng, ctx, parent[key]);
      }
      return { body: JSON.stringify(copy) };
    }
    case 'deep-nesting':
      return { body: spliceText(rng, template, deepText(rng, rng.pick([64, 1000, 10_000, 60_000]))) };
    case 'huge': {
      if (rng.chance(0.3)) return { body: spliceText(rng, template, `[${'0,'.repeat(rng.int(10_000, 150_000))}0]`) };
      return { body: spliceText(rng, template, JSON.stringify('z'.repeat(rng.pick([100_000, 400_000, 900_000, 1_200_000])))) };
    }
    case 'unknown-type': {
      const copy = clone(template);
      if (typeField || rng.chance(0.5)) copy.type = rng.pick([...PROTO_KEYS, 'Threads.List', 'threads.list ', 'threads', 'threads.', '', 'items.*', weirdString(rng, ctx), 42]);
      else {
        const all = slots(copy);
        if (all.length) {
          const [parent] = rng.pick(all);
          if (parent && !Array.isArray(parent)) parent.type = rng.pick(['nope', 'input_image', 'INPUT_TEXT', '__proto__', weirdString(rng, ctx)]);
        }
      }
      return { body: JSON.stringify(copy) };
    }
    case 'missing-field': {
      const copy = clone(template);
      const all = slots(copy).filter(([parent]) => !Array.isArray(parent));
      for (let n = rng.int(1, 3); n > 0 && all.length; n--) {
        const [parent, key] = rng.pick(all);
        delete parent[key];
      }
      if (rng.chance(0.2)) return { body: '{}' };
      return { body: JSON.stringify(copy) };
    }
    case 'wrong-params': {
      const copy = clone(template);
      const target = copy && typeof copy === 'object' && 'params' in copy ? copy : null;
      if (target) target.params = rng.pick([null, [], 'params', 42, true, [target.params], { params: target.params }, anyValue(rng, ctx, 2)]);
      else {
        const all = slots(copy);
        if (all.length) {
          const [parent, key] = rng.pick(all);
          parent[key] = anyValue(rng, ctx, 2);
        }
      }
      return { body: JSON.stringify(copy) };
    }
    case 'unicode': {
      const copy = clone(template);
      const strings = slots(copy).filter(([parent, key]) => typeof parent[key] === 'string');
      for (const [parent, key] of strings) if (rng.chance(0.6)) parent[key] = rng.pick([weirdString(rng, ctx), `${parent[key]}\u0000`, `\u0000${parent[key]}`, `${parent[key]}\ud83d`]);
      if (!strings.length) return { body: JSON.stringify(weirdString(rng, ctx)) };
      return { body: JSON.stringify(copy) };
    }
    case 'array-instead': {
      if (rng.chance(0.4)) return { body: JSON.stringify([template]) };
      const copy = clone(template);
      const objects = slots(copy).filter(([parent, key]) => parent[key] && typeof parent[key] === 'object' && !Array.isArray(parent[key]));
      if (!objects.length) return { body: JSON.stringify([copy]) };
      const [parent, key] = rng.pick(objects);
      parent[key] = rng.chance(0.5) ? [parent[key]] : Object.values(parent[key]);
      return { body: JSON.stringify(copy) };
    }
    case 'numbers': {
      const text = rng.pick(['1e309', '-1e309', '18446744073709551616', '-0', '1.0000000000000002', '9007199254740993', '1E2', '0.5', '-1', '1e-400', '123456789012345678901234567890']);
      const copy = clone(template);
      const all = slots(copy);
      const numeric = all.filter(([parent, key]) => typeof parent[key] === 'number');
      const [parent, key] = numeric.length && rng.chance(0.7) ? rng.pick(numeric) : all.length ? rng.pick(all) : [null, null];
      if (!parent) return { body: text };
      const marker = `__NUM_${rng.hex(8)}__`;
      parent[key] = marker;
      return { body: JSON.stringify(copy).replace(`"${marker}"`, text) };
    }
    case 'content-type':
      return { body: rng.chance(0.7) ? JSON.stringify(template) : rng.pick(['a=1&b=2', '--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--xyz--\r\n', '<a/>']), headers: { 'content-type': rng.pick(CONTENT_TYPES) } };
    case 'encoding': {
      const valid = Buffer.from(JSON.stringify(template));
      const choice = rng.int(0, 5);
      if (choice === 0) return { body: gzipSync(valid), headers: { 'content-encoding': 'gzip' } };
      if (choice === 1) return { body: valid, headers: { 'content-encoding': rng.pick(['gzip', 'deflate', 'br']) } };
      if (choice === 2) return { body: gzipSync(valid).subarray(0, rng.int(5, 15)), headers: { 'content-encoding': 'gzip' } };
      if (choice === 3) return { body: valid, headers: { 'content-encoding': rng.pick(['identity', 'foo', 'gzip, gzip', '']) } };
      if (choice === 4) return { body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), valid]) };
      return { body: Buffer.from(JSON.stringify(template), 'utf16le'), headers: { 'content-type': 'application/json' } };
    }
    case 'truncated': {
      if (rng.chance(0.15)) return { raw: true, body: JSON.stringify(template) };
      const text = JSON.stringify(template);
      return { body: text.slice(0, rng.int(0, Math.max(0, text.length - 1))) };
    }
    case 'duplicate-keys': {
      const text = JSON.stringify(template);
      if (!text.startsWith('{') || text === '{}') return { body: `{"a":1,"a":2}` };
      const keys = Object.keys(template);
      const key = rng.pick(keys);
      const dup = JSON.stringify(otherType(rng, ctx, template[key]));
      return { body: rng.chance(0.5) ? `{${JSON.stringify(key)}:${dup},${text.slice(1)}` : `${text.slice(0, -1)},${JSON.stringify(key)}:${dup}}` };
    }
    case 'prototype-keys': {
      const polluted = rng.pick([
        '"__proto__":{"polluted":"yes","isAdmin":true}',
        '"constructor":{"prototype":{"polluted":"yes"}}',
        '"__proto__":null',
        '"prototype":{"polluted":"yes"}',
        '"toString":"polluted"',
        '"hasOwnProperty":1',
      ]);
      const text = JSON.stringify(template);
      const positions = [];
      for (let i = 0; i < text.length; i++) if (text[i] === '{') positions.push(i);
      if (!positions.length) return { body: `{${polluted}}` };
      const at = rng.pick(positions);
      const close = text[at + 1] === '}';
      return { body: `${text.slice(0, at + 1)}${polluted}${close ? '' : ','}${text.slice(at + 1)}` };
    }
    default:
      return { body: JSON.stringify(template) };
  }
}

// ---------------------------------------------------------------------------------------------
// targets

function chatkitTemplate(rng, ctx) {
  const thread = rng.chance(0.7) ? ctx.threadId : weirdString(rng, ctx);
  const inputBody = () => ({ content: [rng.chance(0.8) ? { type: 'input_text', text: rng.pick(['hello', 'fuzz', '/progress x', weirdString(rng, ctx).slice(0, 300)]) } : { type: 'input_tag', id: 't1', text: '@x', data: {}, interactive: false }], attachments: [], inference_options: {} });
  return rng.pick([
    () => ({ type: 'threads.create', params: { input: inputBody() } }),
    () => ({ type: 'threads.add_user_message', params: { thread_id: thread, input: inputBody() } }),
    () => ({ type: 'threads.add_client_tool_output', params: { thread_id: thread, result: { ok: true } } }),
    () => ({ type: 'threads.add_structured_input', params: { thread_id: thread, item_id: ctx.itemId, input: { status: 'answered', answers: { color: { values: ['red'] } } } } }),
    () => ({ type: 'threads.retry_after_item', params: { thread_id: thread, item_id: ctx.itemId } }),
    () => ({ type: 'threads.custom_action', params: { thread_id: thread, item_id: ctx.itemId, action: { type: 'click', payload: { a: 1 } } } }),
    () => ({ type: 'threads.sync_custom_action', params: { thread_id: thread, action: { type: 'click' } } }),
    () => ({ type: 'threads.get_by_id', params: { thread_id: thread } }),
    () => ({ type: 'threads.list', params: { limit: 5, order: 'desc', after: rng.chance(0.5) ? thread : undefined } }),
    () => ({ type: 'threads.update', params: { thread_id: thread, title: 'renamed' } }),
    () => ({ type: 'items.list', params: { thread_id: thread, limit: 10, order: 'asc', after: rng.chance(0.3) ? ctx.itemId : undefined } }),
    () => ({ type: 'items.feedback', params: { thread_id: thread, item_ids: [ctx.itemId], kind: 'positive' } }),
    () => ({ type: 'attachments.create', params: { name: 'a.png', size: 10, mime_type: 'image/png' } }),
    () => ({ type: 'attachments.delete', params: { attachment_id: `atc_${rng.hex(8)}` } }),
    () => ({ type: 'input.transcribe', params: { audio_base64: 'AAAA', mime_type: 'audio/webm' } }),
    () => ({ type: 'threads.delete', params: { thread_id: `thr_${rng.hex(16)}` } }),
  ])();
}

const MALFORMED_IDS = ['not-a-uuid', '123', '%ZZ', '%E0%A4%A', '..%2F..%2Fetc', '00000000-0000-0000-0000-000000000000', '%00', "'%20OR%201=1", 'ffffffff-ffff-ffff-ffff-ffffffffffff', '6f1c%00', 'x'.repeat(300), '%F0%9F%98%80', '__proto__', 'constructor', '1e309', '-1'];

function idFor(rng, ctx) {
  const n = rng.int(0, 9);
  if (n < 3) return ctx.fuzzWorkflowId;
  if (n < 4) return ctx.otherWorkflowId;
  if (n < 5) return rng.uuid();
  return rng.pick(MALFORMED_IDS);
}

/** encodeURIComponent that also takes lone surrogates (they become U+FFFD, as a browser would send them). */
const enc = (value) => encodeURIComponent(String(value).toWellFormed());

function query(rng, ctx, params) {
  const parts = [];
  for (const [name, good] of params) {
    if (rng.chance(0.3)) continue;
    const value = rng.chance(0.5) ? good : rng.pick(['', '-1', '0', '1e309', 'abc', '%00', '%ZZ', '9999999999999999999', weirdString(rng, ctx).slice(0, 200), 'null', '[]', '2026-13-45T99:99:99Z']);
    parts.push(`${enc(name)}=${/%/.test(value) && rng.chance(0.5) ? value : enc(value)}`);
    if (rng.chance(0.15)) parts.push(`${enc(name)}=${enc(good)}`); // repeated key → array
  }
  if (rng.chance(0.1)) parts.push(rng.pick(['__proto__[polluted]=yes', 'constructor[prototype][x]=1', 'a[b][c]=1', '&&&', '=x']));
  return parts.length ? `?${parts.join('&')}` : '';
}

/** One REST case: method, path, auth, body template. */
function restTemplate(rng, ctx) {
  const id = idFor(rng, ctx);
  const runner = rng.pick([{ kind: 'echo' }, { kind: 'openai', provider: 'compatible', model: 'm', baseUrl: 'http://127.0.0.1:9/v1' }, { kind: 'openai', provider: 'openai', model: 'gpt-4o-mini', temperature: 0.5 }]);
  const workflowBody = { name: 'Fuzzed', description: 'd', runner, allowedOrigins: ['https://app.example.com'], transcriptRetentionDays: 30 };
  const choices = [
    [4, () => ({ method: 'POST', path: '/api/workflows', template: workflowBody })],
    [4, () => ({ method: 'PATCH', path: `/api/workflows/${id}`, template: rng.chance(0.5) ? workflowBody : { name: 'Renamed' } })],
    [2, () => ({ method: 'GET', path: `/api/workflows/${id}`, noBody: true })],
    [1, () => ({ method: 'DELETE', path: `/api/workflows/${rng.pick(MALFORMED_IDS)}`, noBody: true })],
    [2, () => ({ method: 'GET', path: `/api/workflows${query(rng, ctx, [['limit', '5'], ['cursor', 'abc']])}`, noBody: true })],
    [2, () => ({ method: 'POST', path: '/api/auth/register', template: { email: `fz-${rng.hex(6)}@example.com`, password: 'long enough password 1', name: 'Fuzz' }, anonymous: true })],
    [2, () => ({ method: 'POST', path: '/api/auth/login', template: { email: ctx.ownerEmail, password: 'wrong password here' }, anonymous: true })],
    [1, () => ({ method: 'POST', path: '/api/auth/refresh', template: {}, anonymous: true, headers: rng.chance(0.5) ? { cookie: `parley_refresh=${weirdString(rng, ctx).slice(0, 100).replace(/[^\x21-\x7e]/g, 'x')}` } : {} })],
    [1, () => ({ method: 'POST', path: '/api/auth/tokens', template: { name: 'fuzz token', expiresAt: '2099-01-01T00:00:00Z' } })],
    [1, () => ({ method: 'DELETE', path: `/api/auth/tokens/${rng.pick(MALFORMED_IDS)}`, noBody: true })],
    [2, () => ({ method: 'POST', path: `/api/workflows/${id}/publish`, template: { requireLogin: false } })],
    [1, () => ({ method: 'POST', path: `/api/workflows/${id}/publish/rotate`, template: { requireLogin: false } })],
    [1, () => ({ method: 'POST', path: `/api/workflows/${id}/publish/revoke`, template: {} })],
    [1, () => ({ method: 'PATCH', path: `/api/workflows/${id}/publish`, template: { requireLogin: false } })],
    [1, () => ({ method: 'GET', path: `/api/workflows/${id}/public`, noBody: true, anonymous: true })],
    [1, () => ({ method: 'GET', path: `/api/workflows/${id}/audit${query(rng, ctx, [['limit', '10'], ['cursor', 'x']])}`, noBody: true })],
    [2, () => ({ method: 'POST', path: `/api/workflows/${id}/chatkit/session`, template: { deviceId: 'laptop-1', metadata: { ua: 'fuzz' } } })],
    [1, () => ({ method: 'GET', path: '/api/chatkit/sessions', noBody: true })],
    [1, () => ({ method: 'DELETE', path: `/api/chatkit/sessions/${rng.pick(MALFORMED_IDS)}`, noBody: true })],
    [3, () => ({ method: 'GET', path: `/api/workflows/${rng.chance(0.6) ? ctx.workflowId : id}/transcripts${query(rng, ctx, [['from', '2026-01-01T00:00:00Z'], ['to', '2030-01-01T00:00:00Z'], ['principalKind', 'visitor'], ['q', 'hello'], ['limit', '5'], ['cursor', 'abc']])}`, noBody: true })],
    [1, () => ({ method: 'GET', path: `/api/workflows/${rng.chance(0.6) ? ctx.workflowId : id}/transcripts/export${query(rng, ctx, [['format', rng.pick(['jsonl', 'csv'])]])}`, noBody: true })],
    [1, () => ({ method: 'GET', path: `/api/workflows/${ctx.workflowId}/transcripts/${enc(weirdString(rng, ctx).slice(0, 200))}`, noBody: true })],
    [1, () => ({ method: 'DELETE', path: `/api/workflows/${ctx.workflowId}/transcripts/${rng.pick(MALFORMED_IDS)}`, noBody: true })],
    [1, () => ({ method: 'GET', path: `/api/auth/oidc/login${query(rng, ctx, [['returnTo', '/chat/x']])}`, noBody: true, anonymous: true })],
    [1, () => ({ method: 'GET', path: `/api/chatkit/attachments/${rng.pick(MALFORMED_IDS)}/preview${query(rng, ctx, [['sig', 'abc'], ['exp', '99999999999']])}`, noBody: true, anonymous: true })],
    [1, () => ({ method: 'PUT', path: `/api/chatkit/uploads/${rng.pick(MALFORMED_IDS)}`, template: { bytes: 'x' }, chatAuth: true })],
    [1, () => ({ method: 'GET', path: '/api/auth/session', noBody: true, anonymous: true, headers: { cookie: `parley_oauth=${rng.hex(40)}` } })],
    [1, () => ({ method: 'GET', path: '/api/config', noBody: true, anonymous: true })],
  ];
  const total = choices.reduce((sum, [weight]) => sum + weight, 0);
  let roll = rng.next() * total;
  for (const [weight, make] of choices) {
    roll -= weight;
    if (roll <= 0) return make();
  }
  return choices[0][1]();
}

/** The route pattern of a path, to group findings. */
function routeOf(method, path) {
  const bare = path.split('?')[0];
  return `${method} ${bare.replace(/\/api\/workflows\/[^/]+/, '/api/workflows/:id').replace(/\/transcripts\/(?!export)[^/]+$/, '/transcripts/:threadId').replace(/\/(sessions|tokens|uploads|attachments)\/[^/]+/, '/$1/:id')}`;
}

/** Generates case `index` of the run: `{ method, path, headers, body, raw, label, category, route }`. */
export function generateCase(rng, ctx, index) {
  const category = rng.pick(CATEGORIES);
  if (rng.chance(0.6)) {
    const mode = rng.pick(['chat', 'chat', 'publish', 'publish-visitor', 'none', 'bad-bearer', 'owner']);
    const headers = {};
    if (mode === 'chat') headers.authorization = `Bearer ${ctx.chatToken}`;
    if (mode === 'publish' || mode === 'publish-visitor') headers['x-parley-publish-token'] = ctx.publishToken;
    if (mode === 'publish-visitor' && ctx.visitorToken) headers['x-parley-visitor'] = ctx.visitorToken;
    let label = mode;
    if (mode === 'bad-bearer') {
      [label, headers.authorization] = rng.pick([
        ['garbage bearer', 'Bearer x'],
        ['empty bearer', 'Bearer '],
        ['basic auth', 'Basic YTpi'],
        ['chat JWT + one character', `Bearer ${ctx.chatToken}x`],
        ['chat JWT - two characters', `Bearer ${ctx.chatToken.slice(0, -2)}`],
        ['bare scheme', 'bearer'],
        ['unknown personal token', `Bearer pat_${rng.hex(20)}`],
      ]);
    }
    if (mode === 'owner') headers.authorization = ctx.ownerAuth; // a credential of another mode
    if (rng.chance(0.05)) headers['x-parley-workflow'] = rng.pick([ctx.workflowId, rng.uuid(), 'not-a-uuid', '']);
    const template = chatkitTemplate(rng, ctx);
    const mutation = mutate(rng, ctx, category, template, { typeField: true });
    return {
      index,
      method: 'POST',
      path: '/api/chatkit',
      headers: { 'content-type': 'application/json', ...headers, ...mutation.headers },
      body: mutation.body,
      raw: mutation.raw,
      category,
      route: `POST /api/chatkit (${mode})`,
      label: `${template.type}, auth: ${label}`,
    };
  }
  const t = restTemplate(rng, ctx);
  const headers = { ...(t.headers ?? {}) };
  let auth = 'none';
  if (t.chatAuth) [auth, headers.authorization] = ['chat JWT', `Bearer ${ctx.chatToken}`];
  else if (!t.anonymous) {
    [auth, headers.authorization] = rng.chance(0.9)
      ? ['owner JWT', ctx.ownerAuth]
      : rng.pick([
          ['none', ''],
          ['garbage bearer', 'Bearer garbage'],
          ['chat JWT (wrong mode)', `Bearer ${ctx.chatToken}`],
          ['owner JWT + one character', `${ctx.ownerAuth}x`],
          ['owner JWT - two characters', ctx.ownerAuth.slice(0, -2)],
          ['unknown personal token', 'Bearer pat_x'],
        ]);
  }
  if (!headers.authorization) delete headers.authorization;
  let mutation = { body: undefined };
  if (!t.noBody) {
    mutation = mutate(rng, ctx, category, t.template);
    headers['content-type'] ??= 'application/json';
    Object.assign(headers, mutation.headers ?? {});
  } else if (rng.chance(0.2)) {
    mutation = { body: rng.pick(['{"x":1}', 'garbage', '']) }; // a body where none is expected (GET/DELETE)
    headers['content-type'] = 'application/json';
  }
  return { index, method: t.method, path: t.path, headers, body: mutation.body, raw: mutation.raw, category: t.noBody ? 'ids-and-query' : category, route: routeOf(t.method, t.path), label: `auth: ${auth}` };
}

// ---------------------------------------------------------------------------------------------
// sending and judging

/** Sends a request whose body stops short of its Content-Length, then half-closes; returns the status seen, if any. */
function sendTruncated(baseUrl, c, timeoutMs = 3000) {
  const url = new URL(c.path, baseUrl);
  const body = Buffer.from(typeof c.body === 'string' ? c.body : c.body ?? '');
  const sent = body.subarray(0, Math.floor(body.length / 2));
  return new Promise((resolveStatus) => {
    const socket = createConnection({ host: url.hostname, port: Number(url.port) });
    let reply = '';
    const done = () => {
      socket.destroy();
      const match = /^HTTP\/1\.1 (\d{3})/.exec(reply);
      resolveStatus({ status: match ? Number(match[1]) : null, text: reply.split('\r\n\r\n').slice(1).join('\r\n\r\n') });
    };
    socket.setTimeout(timeoutMs, done);
    socket.on('data', (data) => (reply += data.toString('utf8')));
    socket.on('end', done);
    socket.on('error', done);
    socket.on('connect', () => {
      const headers = Object.entries(c.headers).map(([k, v]) => `${k}: ${v}`);
      socket.write(`${c.method} ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: ${body.length}\r\n${headers.join('\r\n')}\r\nConnection: close\r\n\r\n`);
      socket.end(sent);
    });
  });
}

const ERROR_CODE = /^[a-z][a-z0-9_]*$/;

/** What is wrong with an answer, or null. */
function judge(status, contentType, text) {
  if (status >= 500) return `${status}`;
  if (status >= 400) {
    if (!contentType.includes('application/json')) return `${status} without a JSON body (${contentType || 'no content type'})`;
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      return `${status} with an unparsable JSON body`;
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) return `${status} body is not an object`;
    if (body.statusCode !== status) return `${status} body.statusCode is ${JSON.stringify(body.statusCode)}`;
    if (typeof body.code !== 'string' || !ERROR_CODE.test(body.code)) return `${status} body.code is ${JSON.stringify(body.code)}`;
    if (typeof body.message !== 'string') return `${status} body.message is missing`;
    if (typeof body.requestId !== 'string' || !body.requestId) return `${status} body.requestId is missing`;
    return null;
  }
  if (contentType.startsWith('text/event-stream')) {
    for (const line of text.split('\n')) {
      if (!line.startsWith('data: ')) continue;
      let event;
      try {
        event = JSON.parse(line.slice(6));
      } catch {
        return 'SSE frame that is not JSON';
      }
      if (event.type === 'error' && event.code === 'stream.error' && event.allow_retry === true) return 'in-band stream.error (an unexpected server failure inside a 200 stream)';
    }
  }
  return null;
}

function preview(body) {
  if (body === undefined) return '(no body)';
  const text = Buffer.isBuffer(body) ? `<${body.length} bytes> ${JSON.stringify(body.subarray(0, 120).toString('latin1'))}` : JSON.stringify(body.length > 240 ? `${body.slice(0, 240)}…` : body);
  return `${text}${!Buffer.isBuffer(body) && body.length > 240 ? ` (${body.length} chars)` : ''}`;
}

/**
 * Fires `count` generated cases at `instance` with `concurrency` in flight. Returns tallies and
 * the findings (one entry per bad answer). `onProgress(done, bad)` is called every 1000 cases.
 */
export async function runFuzz({ instance, ctx, seed, count, concurrency, onProgress }) {
  const rng = createRng(seed);
  const cases = Array.from({ length: count }, (_, index) => generateCase(rng, ctx, index));
  const stats = { statuses: {}, categories: {}, routes: new Set(), sse: 0, truncatedOnWire: 0, networkErrors: 0 };
  const findings = [];
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= cases.length) return;
      const c = cases[i];
      stats.categories[c.category] = (stats.categories[c.category] ?? 0) + 1;
      stats.routes.add(c.route);
      let status;
      let contentType = '';
      let text = '';
      let requestId = null;
      let problem = null;
      try {
        if (c.raw) {
          stats.truncatedOnWire++;
          const answer = await sendTruncated(instance.baseUrl, c);
          status = answer.status;
          text = answer.text;
          if (status !== null) {
            contentType = /content-type: ([^\r\n]*)/i.exec(text)?.[1] ?? 'application/json';
            if (status >= 500) problem = `${status}`;
          }
        } else {
          const res = await fetch(`${instance.baseUrl}${c.path}`, {
            method: c.method,
            headers: c.headers,
            body: c.body === undefined || c.method === 'GET' ? undefined : c.body,
            signal: AbortSignal.timeout(20_000),
          });
          status = res.status;
          contentType = res.headers.get('content-type') ?? '';
          requestId = res.headers.get('x-request-id');
          text = await res.text();
          if (contentType.startsWith('text/event-stream')) stats.sse++;
          problem = judge(status, contentType, text);
        }
      } catch (err) {
        stats.networkErrors++;
        problem = `no answer: ${err?.cause?.code ?? err?.name ?? ''} ${err?.message ?? err}`;
      }
      stats.statuses[status ?? 'none'] = (stats.statuses[status ?? 'none'] ?? 0) + 1;
      if (problem) findings.push({ at: Date.now(), index: c.index, route: c.route, path: c.path, category: c.category, label: c.label, problem, status, requestId, body: preview(c.body), headers: c.headers, answer: text.slice(0, 300) });
      done++;
      if (done % 1000 === 0) onProgress?.(done, findings.length);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { stats, findings };
}
