import { ChatKitNotFoundError, ChatKitUnknownCursorError } from '../../src/chat-protocol/errors';
import type { ChatStore } from '../../src/chat-protocol/store';
import type { AssistantMessageItem, FeedbackKind, ThreadMetadata } from '../../src/chat-protocol/types';

/**
 * The `ChatStore` contract (chatkit-python's `tests/test_store.py` plus Parley's tenancy rules),
 * as one suite every implementation runs: the in-memory store in the unit tier, the Postgres
 * transcript store in the integration tier.
 */

/** One recorded feedback, as a store reports it for a scope. */
export interface FeedbackEntry {
  threadId: string;
  itemIds: string[];
  kind: FeedbackKind;
}

/** A fresh, empty store plus the principals the contract plays with. */
export interface ChatStoreFixture<Ctx> {
  store: ChatStore<Ctx>;
  /** The principal every test writes as. */
  alice: Ctx;
  /** Principals that must see nothing of alice's: another user, another workflow, another kind… */
  strangers: Array<{ label: string; ctx: Ctx }>;
  /** Feedback recorded for a scope, oldest first. */
  feedbackOf(ctx: Ctx): Promise<FeedbackEntry[]>;
}

const SAME_TIME = '2026-01-01T00:00:00.000Z';

function thread(id: string): ThreadMetadata {
  return { id, created_at: SAME_TIME, status: { type: 'active' }, metadata: {} };
}

function message(id: string, threadId = 'thr_1'): AssistantMessageItem {
  return { id, thread_id: threadId, created_at: SAME_TIME, type: 'assistant_message', content: [{ type: 'output_text', text: id, annotations: [] }] };
}

const ids = (page: { data: Array<{ id: string }> }): string[] => page.data.map((row) => row.id);

/** Registers the contract under `describe(name)`; `create` is called before every test. */
export function describeChatStoreContract<Ctx>(name: string, create: () => Promise<ChatStoreFixture<Ctx>>): void {
  describe(`${name} (ChatStore contract)`, () => {
    let f: ChatStoreFixture<Ctx>;
    let store: ChatStore<Ctx>;
    let alice: Ctx;

    beforeEach(async () => {
      f = await create();
      store = f.store;
      alice = f.alice;
    });

    describe('item paging (insertion order even with equal timestamps)', () => {
      beforeEach(async () => {
        await store.saveThread(thread('thr_1'), alice);
        for (const id of ['i1', 'i2', 'i3', 'i4', 'i5', 'i6']) await store.addThreadItem('thr_1', message(id), alice);
      });

      it('pages ascending with an exclusive cursor; after only when has_more', async () => {
        const first = await store.loadThreadItems('thr_1', undefined, 4, 'asc', alice);
        expect(first).toEqual({ data: expect.any(Array) as unknown, has_more: true, after: 'i4' });
        expect(ids(first)).toEqual(['i1', 'i2', 'i3', 'i4']);
        const second = await store.loadThreadItems('thr_1', 'i4', 4, 'asc', alice);
        expect(ids(second)).toEqual(['i5', 'i6']);
        expect(second).not.toHaveProperty('after');
        expect(second.has_more).toBe(false);
      });

      it('pages descending', async () => {
        const first = await store.loadThreadItems('thr_1', undefined, 4, 'desc', alice);
        expect([ids(first), first.has_more, first.after]).toEqual([['i6', 'i5', 'i4', 'i3'], true, 'i3']);
        const second = await store.loadThreadItems('thr_1', 'i3', 4, 'desc', alice);
        expect([ids(second), second.has_more]).toEqual([['i2', 'i1'], false]);
      });

      it('reports has_more false for a last page that exactly fills the limit (limit + 1 fetch)', async () => {
        const page = await store.loadThreadItems('thr_1', 'i3', 3, 'asc', alice);
        expect(ids(page)).toEqual(['i4', 'i5', 'i6']);
        expect(page).toEqual({ data: expect.any(Array) as unknown, has_more: false });
      });

      it('returns an empty page after the last item', async () => {
        expect(await store.loadThreadItems('thr_1', 'i6', 4, 'asc', alice)).toEqual({ data: [], has_more: false });
      });

      it('throws a typed error for a cursor that names nothing in the thread', async () => {
        await expect(store.loadThreadItems('thr_1', 'nope', 4, 'asc', alice)).rejects.toBeInstanceOf(ChatKitUnknownCursorError);
      });

      it('refuses a cursor naming an item of another thread', async () => {
        await store.saveThread(thread('thr_2'), alice);
        await store.addThreadItem('thr_2', message('j1', 'thr_2'), alice);
        await expect(store.loadThreadItems('thr_1', 'j1', 4, 'asc', alice)).rejects.toBeInstanceOf(ChatKitUnknownCursorError);
      });

      it('rejects a limit below 1', async () => {
        await expect(store.loadThreadItems('thr_1', undefined, 0, 'asc', alice)).rejects.toBeInstanceOf(RangeError);
      });

      it('returns hidden items too (filtering is the processor job)', async () => {
        await store.addThreadItem('thr_1', { id: 'h', thread_id: 'thr_1', created_at: SAME_TIME, type: 'hidden_context_item', content: 'x' }, alice);
        expect(ids(await store.loadThreadItems('thr_1', undefined, 1, 'desc', alice))).toEqual(['h']);
      });

      it('upserts in place with saveItem, inserts new ids at the end', async () => {
        await store.saveItem('thr_1', { ...message('i2'), content: [{ type: 'output_text', text: 'changed', annotations: [] }] }, alice);
        await store.saveItem('thr_1', message('i7'), alice);
        const page = await store.loadThreadItems('thr_1', undefined, 20, 'asc', alice);
        expect(ids(page)).toEqual(['i1', 'i2', 'i3', 'i4', 'i5', 'i6', 'i7']);
        expect((page.data[1] as AssistantMessageItem).content[0].text).toBe('changed');
      });

      it('refuses to insert a duplicate id', async () => {
        await expect(store.addThreadItem('thr_1', message('i1'), alice)).rejects.toThrow();
      });

      it('deletes everything after an item (retry), and single items', async () => {
        await store.deleteThreadItemsAfter('thr_1', 'i3', alice);
        await store.deleteThreadItem('thr_1', 'i1', alice);
        await store.deleteThreadItem('thr_1', 'missing', alice);
        expect(ids(await store.loadThreadItems('thr_1', undefined, 20, 'asc', alice))).toEqual(['i2', 'i3']);
        await expect(store.deleteThreadItemsAfter('thr_1', 'gone', alice)).rejects.toBeInstanceOf(ChatKitNotFoundError);
      });

      it('returns copies: mutating a loaded item changes nothing stored', async () => {
        const loaded = (await store.loadItem('thr_1', 'i1', alice)) as AssistantMessageItem;
        loaded.content[0].text = 'mutated';
        expect(((await store.loadItem('thr_1', 'i1', alice)) as AssistantMessageItem).content[0].text).toBe('i1');
      });

      it('keeps item JSON exactly, key order included', async () => {
        const call = {
          id: 'tc',
          thread_id: 'thr_1',
          created_at: SAME_TIME,
          type: 'client_tool_call' as const,
          status: 'completed' as const,
          call_id: 'c',
          name: 'n',
          arguments: { zeta: 1, alpha: { y: 2, b: [3, { d: 4, c: 5 }] } },
          output: { rows: 2, ok: true },
        };
        await store.addThreadItem('thr_1', call, alice);
        expect(JSON.stringify(await store.loadItem('thr_1', 'tc', alice))).toBe(JSON.stringify(call));
      });

      it('answers not found for an item of another thread', async () => {
        await store.saveThread(thread('thr_2'), alice);
        await expect(store.loadItem('thr_2', 'i1', alice)).rejects.toBeInstanceOf(ChatKitNotFoundError);
      });
    });

    describe('threads', () => {
      it('pages threads by creation order in both directions', async () => {
        for (const id of ['t1', 't2', 't3']) await store.saveThread(thread(id), alice);
        // Re-saving (a title change) must not move the thread.
        await store.saveThread({ ...thread('t1'), title: 'renamed' }, alice);
        expect(ids(await store.loadThreads(2, undefined, 'desc', alice))).toEqual(['t3', 't2']);
        expect(await store.loadThreads(2, 't2', 'desc', alice)).toEqual({ data: [{ ...thread('t1'), title: 'renamed' }], has_more: false });
        expect(await store.loadThreads(1, 't1', 'asc', alice)).toMatchObject({ has_more: true, after: 't2' });
        await expect(store.loadThreads(2, 'zzz', 'asc', alice)).rejects.toBeInstanceOf(ChatKitUnknownCursorError);
      });

      it('round-trips every thread field', async () => {
        const full: ThreadMetadata = {
          id: 'thr_full',
          title: 'Title',
          created_at: '2026-03-04T05:06:07.890Z',
          status: { type: 'locked', reason: 'maintenance' },
          allowed_image_domains: ['cdn.example.com'],
          metadata: { workflowVersion: 3, nested: { a: true } },
        };
        await store.saveThread(full, alice);
        expect(await store.loadThread('thr_full', alice)).toEqual(full);
        await store.saveThread({ ...full, title: undefined, status: { type: 'active' } }, alice);
        const reloaded = await store.loadThread('thr_full', alice);
        expect(reloaded.title).toBeUndefined();
        expect(reloaded.status).toEqual({ type: 'active' });
      });

      it('deletes a thread with its items', async () => {
        await store.saveThread(thread('thr_1'), alice);
        await store.addThreadItem('thr_1', message('i1'), alice);
        await store.deleteThread('thr_1', alice);
        await expect(store.loadThread('thr_1', alice)).rejects.toBeInstanceOf(ChatKitNotFoundError);
        await expect(store.loadItem('thr_1', 'i1', alice)).rejects.toBeInstanceOf(ChatKitNotFoundError);
        await expect(store.loadThreadItems('thr_1', undefined, 20, 'asc', alice)).rejects.toBeInstanceOf(ChatKitNotFoundError);
      });

      it('answers not found for unknown threads everywhere', async () => {
        await expect(store.loadThread('nope', alice)).rejects.toBeInstanceOf(ChatKitNotFoundError);
        await expect(store.addThreadItem('nope', message('x', 'nope'), alice)).rejects.toBeInstanceOf(ChatKitNotFoundError);
        await expect(store.deleteThread('nope', alice)).rejects.toBeInstanceOf(ChatKitNotFoundError);
        await expect(store.addFeedback('nope', ['x'], 'positive', alice)).rejects.toBeInstanceOf(ChatKitNotFoundError);
      });
    });

    describe('isolation between principals', () => {
      beforeEach(async () => {
        await store.saveThread(thread('thr_1'), alice);
        await store.addThreadItem('thr_1', message('i1'), alice);
        await store.saveAttachment({ id: 'atc_1', type: 'file', name: 'a', mime_type: 'text/plain' }, alice);
      });

      it('makes foreign threads, items and attachments look missing, and changes nothing', async () => {
        for (const { label, ctx } of f.strangers) {
          const foreign: Array<[string, () => Promise<unknown>]> = [
            ['loadThread', () => store.loadThread('thr_1', ctx)],
            ['loadThreadItems', () => store.loadThreadItems('thr_1', undefined, 20, 'asc', ctx)],
            ['loadItem', () => store.loadItem('thr_1', 'i1', ctx)],
            ['addThreadItem', () => store.addThreadItem('thr_1', message('i2'), ctx)],
            ['saveItem', () => store.saveItem('thr_1', message('i1'), ctx)],
            ['deleteThreadItem', () => store.deleteThreadItem('thr_1', 'i1', ctx)],
            ['deleteThreadItemsAfter', () => store.deleteThreadItemsAfter('thr_1', 'i1', ctx)],
            ['deleteThread', () => store.deleteThread('thr_1', ctx)],
            ['saveThread', () => store.saveThread({ ...thread('thr_1'), title: 'hijack' }, ctx)],
            ['loadAttachment', () => store.loadAttachment('atc_1', ctx)],
            ['saveAttachment', () => store.saveAttachment({ id: 'atc_1', type: 'file', name: 'hijack', mime_type: 'text/plain' }, ctx)],
            ['addFeedback', () => store.addFeedback('thr_1', ['i1'], 'negative', ctx)],
          ];
          if (store.addThreadItems) {
            const batch = store.addThreadItems.bind(store);
            foreign.push(['addThreadItems', () => batch('thr_1', [{ item: message('i2') }], { ...thread('thr_1'), title: 'hijack' }, ctx)]);
          }
          if (store.createThreadWithItems) {
            const create = store.createThreadWithItems.bind(store);
            foreign.push(['createThreadWithItems', () => create({ ...thread('thr_1'), title: 'hijack' }, [{ item: message('i2') }], ctx)]);
          }
          for (const [operation, attempt] of foreign) {
            const outcome = await attempt().then(
              () => 'resolved',
              (error: unknown) => (error instanceof ChatKitNotFoundError ? 'not_found' : String(error)),
            );
            expect({ stranger: label, operation, outcome }).toEqual({ stranger: label, operation, outcome: 'not_found' });
          }
          expect(ids(await store.loadThreads(20, undefined, 'desc', ctx))).toEqual([]);
          await expect(store.loadThreads(20, 'thr_1', 'desc', ctx)).rejects.toBeInstanceOf(ChatKitUnknownCursorError);
          await store.deleteAttachment('atc_1', ctx);
          expect(await f.feedbackOf(ctx)).toEqual([]);
        }
        // Nothing of alice's changed.
        expect((await store.loadThread('thr_1', alice)).title).toBeUndefined();
        expect(await store.loadAttachment('atc_1', alice)).toMatchObject({ name: 'a' });
        expect(ids(await store.loadThreadItems('thr_1', undefined, 20, 'asc', alice))).toEqual(['i1']);
        expect(await f.feedbackOf(alice)).toEqual([]);
      });
    });

    describe('batch writes (optional methods)', () => {
      it('addThreadItems inserts in the given order after the existing items, then saves the thread when given', async () => {
        if (!store.addThreadItems) return;
        await store.saveThread(thread('thr_1'), alice);
        await store.addThreadItem('thr_1', message('i1'), alice);
        await store.addThreadItems('thr_1', [{ item: message('z9') }, { item: message('a1'), facts: { ttftMs: 12 } }, { item: message('m5') }], null, alice);
        expect(ids(await store.loadThreadItems('thr_1', undefined, 20, 'asc', alice))).toEqual(['i1', 'z9', 'a1', 'm5']);
        expect((await store.loadThread('thr_1', alice)).title).toBeUndefined();
        await store.addThreadItems('thr_1', [{ item: message('b2') }], { ...thread('thr_1'), title: 'Named', status: { type: 'locked' } }, alice);
        expect(await store.loadThread('thr_1', alice)).toMatchObject({ title: 'Named', status: { type: 'locked' } });
        expect(ids(await store.loadThreadItems('thr_1', undefined, 20, 'desc', alice))[0]).toBe('b2');
      });

      it('addThreadItems writes nothing when an id exists already, and answers not found for an unknown thread', async () => {
        if (!store.addThreadItems) return;
        await store.saveThread(thread('thr_1'), alice);
        await store.addThreadItem('thr_1', message('i1'), alice);
        await expect(store.addThreadItems('thr_1', [{ item: message('i2') }, { item: message('i1') }], { ...thread('thr_1'), title: 'x' }, alice)).rejects.toThrow();
        expect(ids(await store.loadThreadItems('thr_1', undefined, 20, 'asc', alice))).toEqual(['i1']);
        expect((await store.loadThread('thr_1', alice)).title).toBeUndefined();
        await expect(store.addThreadItems('nope', [{ item: message('i3', 'nope') }], null, alice)).rejects.toBeInstanceOf(ChatKitNotFoundError);
      });

      it('createThreadWithItems stores a new thread with its first items, in order', async () => {
        if (!store.createThreadWithItems) return;
        await store.createThreadWithItems({ ...thread('thr_1'), title: 'First' }, [{ item: message('i1') }, { item: message('b0'), facts: { ttftMs: 3 } }], alice);
        expect(await store.loadThread('thr_1', alice)).toMatchObject({ id: 'thr_1', title: 'First' });
        expect(ids(await store.loadThreadItems('thr_1', undefined, 20, 'asc', alice))).toEqual(['i1', 'b0']);
        expect(ids(await store.loadThreads(20, undefined, 'asc', alice))).toEqual(['thr_1']);
        // A duplicate id: nothing of the second thread is written.
        await expect(store.createThreadWithItems(thread('thr_2'), [{ item: message('x1', 'thr_2') }, { item: message('x1', 'thr_2') }], alice)).rejects.toThrow();
        await expect(store.loadThread('thr_2', alice)).rejects.toBeInstanceOf(ChatKitNotFoundError);
      });
    });

    it('upserts and deletes attachments, records feedback', async () => {
      await store.saveThread(thread('thr_1'), alice);
      await store.saveAttachment({ id: 'atc_1', type: 'file', name: 'a', mime_type: 'text/plain' }, alice);
      await store.saveAttachment({ id: 'atc_1', type: 'file', name: 'a', mime_type: 'text/plain', thread_id: 'thr_1' }, alice);
      expect(await store.loadAttachment('atc_1', alice)).toMatchObject({ thread_id: 'thr_1' });
      await store.deleteAttachment('atc_1', alice);
      await expect(store.loadAttachment('atc_1', alice)).rejects.toBeInstanceOf(ChatKitNotFoundError);
      await store.deleteAttachment('atc_1', alice);
      await store.addThreadItem('thr_1', message('i1'), alice);
      await store.addThreadItem('thr_1', message('i2'), alice);
      await store.addFeedback('thr_1', ['i1', 'i2'], 'positive', alice);
      expect(await f.feedbackOf(alice)).toEqual([{ threadId: 'thr_1', itemIds: ['i1', 'i2'], kind: 'positive' }]);
      // One unknown id in the batch: not found, and nothing of the batch is recorded.
      await expect(store.addFeedback('thr_1', ['i1', 'i_unknown'], 'negative', alice)).rejects.toBeInstanceOf(ChatKitNotFoundError);
      expect(await f.feedbackOf(alice)).toHaveLength(1);
    });
  });
}
