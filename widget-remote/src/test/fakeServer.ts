/**
 * Test helper: a fake `fetch` playing Parley's `/api/chatkit` (and `/api/config`), dispatching on the request's
 * `type`. Replies are JSON, SSE streams (optionally held open until the request is aborted), Parley error bodies or
 * network failures. Every call is recorded with its headers and parsed body.
 */
export interface FakeCall {
  url: string;
  method: string;
  headers: Headers;
  body: { type?: string; params?: Record<string, unknown> } | undefined;
}

export type FakeReply =
  | { json: unknown; status?: number; headers?: Record<string, string> }
  | { events: unknown[]; hold?: boolean; headers?: Record<string, string> }
  | { error: { status: number; code: string; message?: string; details?: Record<string, unknown> }; headers?: Record<string, string> }
  | { network: true }
  | Response;

export type FakeHandler = (params: Record<string, unknown>, call: FakeCall) => FakeReply | Promise<FakeReply>;

export function sseFrames(events: unknown[]): string {
  return events.map((event) => `data: ${JSON.stringify(event)}\n\n`).join('');
}

export function fakeServer(handlers: Record<string, FakeHandler | FakeHandler[]>) {
  const calls: FakeCall[] = [];
  const queues = new Map<string, FakeHandler[]>();
  for (const [type, handler] of Object.entries(handlers)) queues.set(type, Array.isArray(handler) ? [...handler] : [handler]);

  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const text = typeof init.body === 'string' ? init.body : undefined;
    const call: FakeCall = {
      url,
      method: init.method ?? 'GET',
      headers: new Headers(init.headers),
      body: text ? (JSON.parse(text) as FakeCall['body']) : undefined,
    };
    calls.push(call);
    if (init.signal?.aborted) throw new DOMException('aborted', 'AbortError');
    const key = call.body?.type ?? `${call.method} ${new URL(url, 'http://x').pathname}`;
    const queue = queues.get(key);
    // The last handler of a list keeps answering.
    const handler = queue && (queue.length > 1 ? queue.shift() : queue[0]);
    if (!handler) return errorResponse({ status: 404, code: 'not_found', message: `no fake for ${key}` });
    const reply = await handler(call.body?.params ?? {}, call);
    if (reply instanceof Response) return reply;
    if ('network' in reply) throw new TypeError('Failed to fetch');
    if ('error' in reply) return errorResponse(reply.error, reply.headers);
    if ('json' in reply) {
      return new Response(JSON.stringify(reply.json), {
        status: reply.status ?? 200,
        headers: { 'Content-Type': 'application/json', ...reply.headers },
      });
    }
    return streamResponse(reply.events, { hold: reply.hold, signal: init.signal ?? undefined, headers: reply.headers });
  };

  return { fetch: fetch as typeof globalThis.fetch, calls, ofType: (type: string) => calls.filter((c) => c.body?.type === type) };
}

export function errorResponse(
  error: { status: number; code: string; message?: string; details?: Record<string, unknown> },
  headers: Record<string, string> = {},
): Response {
  return new Response(
    JSON.stringify({
      statusCode: error.status,
      code: error.code,
      message: error.message ?? error.code,
      requestId: 'req-1',
      ...(error.details ? { details: error.details } : {}),
    }),
    { status: error.status, headers: { 'Content-Type': 'application/json', ...headers } },
  );
}

/** An SSE response; with `hold`, it stays open after the events until `signal` aborts. */
export function streamResponse(
  events: unknown[],
  options: { hold?: boolean; signal?: AbortSignal; headers?: Record<string, string> } = {},
): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const event of events) controller.enqueue(encoder.encode(sseFrames([event])));
      if (!options.hold) {
        controller.close();
        return;
      }
      options.signal?.addEventListener('abort', () => controller.error(new DOMException('aborted', 'AbortError')), {
        once: true,
      });
    },
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream', ...options.headers } });
}

/** An assistant message streamed as the echo runner does: added (empty), one delta per word, done. */
export function answerEvents(threadId: string, itemId: string, answer: string) {
  const tokens = answer.split(' ').map((token, index) => (index === 0 ? token : ` ${token}`));
  const assistant = (content: string) => ({
    id: itemId,
    thread_id: threadId,
    created_at: '2026-01-01T00:00:01Z',
    type: 'assistant_message',
    content: [{ annotations: [], text: content, type: 'output_text' }],
  });
  return [
    { type: 'thread.item.added', item: assistant('') },
    ...tokens.map((delta) => ({
      type: 'thread.item.updated',
      item_id: itemId,
      update: { type: 'assistant_message.content_part.text_delta', content_index: 0, delta },
    })),
    { type: 'thread.item.done', item: assistant(answer) },
  ];
}

/** Events the echo runner streams for `text` (shapes from backend/test/chat-protocol/conformance/chatkit/create_thread.json). */
export function echoEvents(threadId: string, text: string, options: { create?: boolean; n?: number } = {}) {
  const n = options.n ?? 1;
  const thread = { id: threadId, created_at: '2026-01-01T00:00:00Z', status: { type: 'active' }, metadata: {}, items: { data: [], has_more: false } };
  return [
    ...(options.create ? [{ type: 'thread.created', thread }] : []),
    {
      type: 'thread.item.done',
      item: {
        id: `user${n}`,
        thread_id: threadId,
        created_at: '2026-01-01T00:00:00Z',
        type: 'user_message',
        content: [{ type: 'input_text', text }],
        attachments: [],
        inference_options: {},
      },
    },
    { type: 'stream_options', stream_options: { allow_cancel: true } },
    ...answerEvents(threadId, `asst${n}`, `Echo: ${text}`),
    ...(options.create ? [{ type: 'thread.updated', thread: { ...thread, title: text.slice(0, 40) } }] : []),
  ];
}
