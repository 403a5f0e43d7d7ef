import { ChatKitCustomStreamError } from './errors';
import { MemoryChatStore } from '../../test/fakes/memory-store';
import { ChatKitProcessor } from './processor';
import type { Runner } from './runner';
import type { ItemFacts, NewThreadItem } from './store';
import type { AssistantMessageItem, ThreadItem, ThreadMetadata, ThreadStreamEvent } from './types';

type Ctx = { user: string };
const ctx: Ctx = { user: 'alice' };

/** A memory store that also keeps what the processor hands over for analytics. */
class RecordingStore extends MemoryChatStore<Ctx> {
  facts: Array<{ itemId: string; facts?: ItemFacts }> = [];
  errors: string[] = [];
  constructor() {
    super({ scopeOf: (c) => c.user });
  }
  override async addThreadItem(threadId: string, item: ThreadItem, c: Ctx, facts?: ItemFacts): Promise<void> {
    this.facts.push({ itemId: item.id, facts });
    return super.addThreadItem(threadId, item, c);
  }
  override async addThreadItems(threadId: string, items: NewThreadItem[], thread: ThreadMetadata | null, c: Ctx): Promise<void> {
    for (const { item, facts } of items) this.facts.push({ itemId: item.id, facts });
    return super.addThreadItems(threadId, items, thread, c);
  }
  async recordAnswerError(_threadId: string, code: string): Promise<void> {
    this.errors.push(code);
  }
}

const assistant = (thread: ThreadMetadata, id: string): AssistantMessageItem => ({
  id,
  thread_id: thread.id,
  created_at: '2026-01-01T00:00:00.000Z',
  type: 'assistant_message',
  content: [{ type: 'output_text', text: '', annotations: [] }],
});

/** The processor on a fake monotonic clock that the runner advances. */
function setup(respond: (thread: ThreadMetadata, tick: (ms: number) => void) => AsyncIterable<ThreadStreamEvent>) {
  let now = 1000;
  const store = new RecordingStore();
  const runner: Runner<Ctx> = {
    respond: (thread) => respond(thread, (ms) => (now += ms)),
    action: async function* () {},
    syncAction: async () => ({}),
  };
  const processor = new ChatKitProcessor<Ctx>({ store, runners: () => runner, monotonicMs: () => now });
  const run = async () => {
    const result = await processor.process({ type: 'threads.create', params: { input: { content: [{ type: 'input_text', text: 'hi' }], attachments: [], inference_options: {} } } }, ctx);
    const events: ThreadStreamEvent[] = [];
    if (result.kind === 'stream') for await (const e of result.events) events.push(e);
    return events;
  };
  return { store, run };
}

describe('answer facts for analytics', () => {
  it('the first assistant message of an answer carries the time to its first text; later ones carry none', async () => {
    const { store, run } = setup(async function* (thread, tick) {
      const a = assistant(thread, 'msg_a');
      tick(50);
      yield { type: 'thread.item.added', item: a };
      tick(70);
      yield { type: 'thread.item.updated', item_id: a.id, update: { type: 'assistant_message.content_part.text_delta', content_index: 0, delta: 'Hel' } };
      tick(400);
      yield { type: 'thread.item.done', item: { ...a, content: [{ type: 'output_text', text: 'Hello', annotations: [] }] } };
      yield { type: 'thread.item.done', item: { ...assistant(thread, 'msg_b'), content: [{ type: 'output_text', text: 'More', annotations: [] }] } };
    });
    await run();
    const answers = store.facts.filter((f) => f.itemId === 'msg_a' || f.itemId === 'msg_b');
    expect(answers).toEqual([
      { itemId: 'msg_a', facts: { ttftMs: 120 } },
      { itemId: 'msg_b', facts: undefined },
    ]);
    expect(store.errors).toEqual([]);
  });

  it('an answer ending in an error records the runner’s reason once; a thrown error without one records its event code', async () => {
    const limited = setup(async function* () {
      yield* [];
      throw new ChatKitCustomStreamError('busy', true, 'rate_limited');
    });
    const events = await limited.run();
    expect(events.find((e) => e.type === 'error')).toMatchObject({ type: 'error', code: 'custom' });
    expect(limited.store.errors).toEqual(['rate_limited']);

    const crashed = setup(async function* () {
      yield* [];
      throw new Error('boom');
    });
    await crashed.run();
    expect(crashed.store.errors).toEqual(['stream.error']);

    const inBand = setup(async function* () {
      yield { type: 'error', code: 'stream.error', allow_retry: true };
    });
    await inBand.run();
    expect(inBand.store.errors).toEqual(['stream.error']);
  });
});
