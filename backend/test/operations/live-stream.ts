import { parseSse } from '../chat-protocol/conformance/replayer';
import type { WireJson } from '../chatkit/helpers';

/** A ChatKit SSE response being read as it arrives. */
export interface LiveStream {
  status: number;
  /** Events parsed so far (complete frames only). */
  events: WireJson[];
  /** Resolves once an event matching `predicate` has arrived (rejects after `timeoutMs`). */
  until(predicate: (event: WireJson) => boolean, timeoutMs?: number): Promise<WireJson>;
  /** Resolves when the server ended the response; with the time it ended (ms since epoch). */
  ended: Promise<number>;
}

/** POSTs a streaming ChatKit request and reads its frames as they come. */
export async function openStream(baseUrl: string, headers: Record<string, string>, body: unknown): Promise<LiveStream> {
  const res = await fetch(`${baseUrl}/api/chatkit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const events: WireJson[] = [];
  const waiters = new Set<() => void>();
  let text = '';
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const ended = (async () => {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) break;
      text += decoder.decode(value, { stream: true });
      const complete = text.slice(0, text.lastIndexOf('\n\n') + 2);
      events.splice(0, events.length, ...parseSse(complete).events);
      for (const wake of [...waiters]) wake();
    }
    for (const wake of [...waiters]) wake();
    return Date.now();
  })();
  let finished = false;
  void ended.then(() => (finished = true));
  const until = (predicate: (event: WireJson) => boolean, timeoutMs = 10_000): Promise<WireJson> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = events.find(predicate);
        if (hit) {
          cleanup();
          resolve(hit);
        } else if (finished) {
          cleanup();
          reject(new Error(`stream ended without the awaited event; got ${JSON.stringify(events.map((e) => e.type))}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out; events so far: ${JSON.stringify(events.map((e) => e.type))}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return { status: res.status, events, until, ended };
}

export const isDelta = (e: WireJson): boolean => e.type === 'thread.item.updated' && e.update?.type === 'assistant_message.content_part.text_delta';

/** `threads.create` asking the fake model for `n` words `ms` apart. */
export const slowCreate = (ms: number, n: number) => ({
  type: 'threads.create',
  params: { input: { content: [{ type: 'input_text', text: `/slow ${ms} ${n}` }], attachments: [], inference_options: {} } },
});
