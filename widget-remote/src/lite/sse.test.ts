import { describe, expect, it, vi } from 'vitest';
import { readSseJson, SseParser } from './sse';

function streamOf(chunks: Array<string | Uint8Array>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

describe('SseParser', () => {
  it('dispatches one event per blank-line-terminated frame', () => {
    const parser = new SseParser();
    expect(parser.feed('data: {"a":1}\n\ndata: {"b":2}\n\n')).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('reassembles frames split at every possible chunk boundary', () => {
    const text = 'data: {"type":"x","text":"héllo"}\n\n: keep-alive\n\ndata: {"n":2}\r\n\r\n';
    for (let cut = 0; cut <= text.length; cut += 1) {
      const parser = new SseParser();
      const events = [...parser.feed(text.slice(0, cut)), ...parser.feed(text.slice(cut))];
      expect(events, `cut at ${cut}`).toEqual(['{"type":"x","text":"héllo"}', '{"n":2}']);
    }
  });

  it('feeds one character at a time', () => {
    const parser = new SseParser();
    const events = [...'data: 1\n\ndata: 2\r\rdata: 3\r\n\r\n'].flatMap((char) => parser.feed(char));
    expect(events).toEqual(['1', '2', '3']);
  });

  it('ignores comment lines, event/id/retry fields and data-less frames', () => {
    const parser = new SseParser();
    expect(parser.feed(': keep-alive\n\nevent: x\nid: 7\nretry: 10\ndata: ok\n\n:only a comment\n\n')).toEqual(['ok']);
  });

  it('joins multi-line data with newlines and strips one leading space only', () => {
    const parser = new SseParser();
    expect(parser.feed('data:  two spaces\ndata:none\ndata\n\n')).toEqual([' two spaces\nnone\n']);
  });

  it('does not dispatch a frame cut off before its blank line, and strips a BOM', () => {
    const parser = new SseParser();
    expect(parser.feed('\uFEFFdata: 1\n\ndata: partial\n')).toEqual(['1']);
  });
});

describe('readSseJson', () => {
  it('decodes multi-byte characters split across byte chunks and parses JSON', async () => {
    const bytes = new TextEncoder().encode('data: {"text":"€uro"}\n\n');
    const chunks = [bytes.slice(0, 16), bytes.slice(16, 17), bytes.slice(17)];
    expect(await collect(readSseJson(streamOf(chunks)))).toEqual([{ text: '€uro' }]);
  });

  it('skips frames that are not JSON', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const events = await collect(readSseJson(streamOf(['data: nope\n\n', 'data: {"ok":true}\n\n'])));
    expect(events).toEqual([{ ok: true }]);
    expect(warn).toHaveBeenCalledOnce();
    warn.mockRestore();
  });

  it('cancels the body when the consumer stops early', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: 1\n\ndata: 2\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const event of readSseJson<number>(body)) {
      expect(event).toBe(1);
      break;
    }
    expect(cancelled).toBe(true);
  });
});
