/**
 * A server-sent events parser following the EventSource rules (WHATWG HTML §9.2.6), for `fetch` response bodies:
 * ChatKit streams are POST responses, which `EventSource` cannot make.
 *
 * - Lines end with `\n`, `\r\n` or `\r`, also when the pair is split across chunks.
 * - `data:` lines accumulate (joined with `\n`); a blank line dispatches the event; an event without data is dropped.
 * - `: comment` lines (the server's `: keep-alive`) and `event:` / `id:` / `retry:` fields are ignored.
 * - An event cut off before its blank line is not dispatched, as in `EventSource`.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private started = false;
  private pendingCr = false;

  /** Feeds decoded text; returns the data of every event this text completed. */
  feed(text: string): string[] {
    let chunk = text;
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    // A chunk ending in `\r` may be the first half of `\r\n`: the `\n` must not count as a second (blank) line.
    if (this.pendingCr && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.pendingCr = chunk.endsWith('\r');

    this.buffer += chunk;
    const events: string[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i += 1) {
      const char = this.buffer[i];
      if (char !== '\n' && char !== '\r') continue;
      this.line(this.buffer.slice(start, i), events);
      if (char === '\r' && this.buffer[i + 1] === '\n') i += 1;
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  private line(line: string, events: string[]): void {
    if (line === '') {
      if (this.data.length > 0) events.push(this.data.join('\n'));
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    if (field !== 'data') return;
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    this.data.push(value);
  }
}

/**
 * Reads a `text/event-stream` body and yields each event's data parsed as JSON. Stops when the stream ends; the
 * caller's AbortSignal (passed to `fetch`) ends it early by erroring the reader.
 */
export async function* readSseJson<T>(body: ReadableStream<Uint8Array>): AsyncGenerator<T> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      finished = done;
      const text = done ? decoder.decode() : decoder.decode(value, { stream: true });
      for (const data of parser.feed(text)) {
        let event: T;
        try {
          event = JSON.parse(data) as T;
        } catch {
          console.warn('[parley-widget] ignored a stream event that is not JSON');
          continue;
        }
        yield event;
      }
      if (done) return;
    }
  } finally {
    // The consumer stopped early: close the connection rather than leave it streaming into nowhere.
    if (!finished) reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
