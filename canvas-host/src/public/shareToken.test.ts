import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { captureShareToken, forgetShareToken, shareTokenStorageKey } from './shareToken';

function page(href: string) {
  const location = { href };
  const history = {
    state: { keep: true },
    replaceState: vi.fn((_state: unknown, _title: string, url: string) => {
      location.href = new URL(url, location.href).href;
    }),
  };
  return { location, history };
}

function memoryStorage() {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    removeItem: (k: string) => void map.delete(k),
  };
}

afterEach(() => forgetShareToken());

describe('captureShareToken', () => {
  it('takes the token from the fragment and strips it from the address bar at once', () => {
    const { location, history } = page('https://parley.test/chat/wf_1#token=pub_abc');
    expect(captureShareToken('wf_1', location, history, null)).toBe('pub_abc');
    expect(history.replaceState).toHaveBeenCalledWith({ keep: true }, '', '/chat/wf_1');
    expect(location.href).toBe('https://parley.test/chat/wf_1');
  });

  it('falls back to ?token= and keeps unrelated parameters', () => {
    const { location, history } = page('https://parley.test/chat/wf_1?token=pub_q&lang=fr#x=1');
    expect(captureShareToken('wf_1', location, history, null)).toBe('pub_q');
    expect(location.href).toBe('https://parley.test/chat/wf_1?lang=fr#x=1');
  });

  it('prefers the fragment when both are present and strips both', () => {
    const { location, history } = page('https://parley.test/chat/wf_1?token=pub_q#token=pub_h');
    expect(captureShareToken('wf_1', location, history, null)).toBe('pub_h');
    expect(location.href).toBe('https://parley.test/chat/wf_1');
  });

  it('is idempotent: a second call (StrictMode) returns the token held in memory', () => {
    const { location, history } = page('https://parley.test/chat/wf_1#token=pub_abc');
    captureShareToken('wf_1', location, history, null);
    expect(captureShareToken('wf_1', location, history, null)).toBe('pub_abc');
    expect(captureShareToken('wf_other', location, history, null)).toBeNull();
    expect(history.replaceState).toHaveBeenCalledTimes(1);
  });

  it('keeps the token in this tab, so a reload (a fresh module) still has it', () => {
    const storage = memoryStorage();
    const first = page('https://parley.test/chat/wf_1#token=pub_kept');
    expect(captureShareToken('wf_1', first.location, first.history, storage)).toBe('pub_kept');
    expect(storage.map.get(shareTokenStorageKey('wf_1'))).toBe('pub_kept');

    forgetShareToken(); // what a reload does to the module's memory
    const reloaded = page('https://parley.test/chat/wf_1');
    expect(captureShareToken('wf_1', reloaded.location, reloaded.history, storage)).toBe('pub_kept');
    expect(reloaded.history.replaceState).not.toHaveBeenCalled();
    expect(captureShareToken('wf_other', reloaded.location, reloaded.history, storage)).toBeNull();
  });

  it('a token in the URL replaces the kept one (a new link pasted into the same tab)', () => {
    const storage = memoryStorage();
    const first = page('https://parley.test/chat/wf_1#token=pub_old');
    captureShareToken('wf_1', first.location, first.history, storage);
    const pasted = page('https://parley.test/chat/wf_1#token=pub_new');
    expect(captureShareToken('wf_1', pasted.location, pasted.history, storage)).toBe('pub_new');
    expect(pasted.location.href).toBe('https://parley.test/chat/wf_1');
    expect(storage.map.get(shareTokenStorageKey('wf_1'))).toBe('pub_new');
  });

  it('returns null without a token', () => {
    const { location, history } = page('https://parley.test/chat/wf_1#token=');
    expect(captureShareToken('wf_1', location, history, memoryStorage())).toBeNull();
    expect(location.href).toBe('https://parley.test/chat/wf_1');
  });
});

describe('public/share-link.js (runs before the app)', () => {
  const script = readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../../public/share-link.js'), 'utf8');
  const run = () => new Function(script)();

  afterEach(() => {
    delete window.__parleyShareLink;
    window.history.replaceState(null, '', '/');
  });

  it('strips the token from the address bar and hands it to captureShareToken', () => {
    window.history.replaceState({ n: 1 }, '', '/chat/wf%201?lang=fr#token=pub_early&x=1');
    run();
    expect(window.location.pathname + window.location.search + window.location.hash).toBe('/chat/wf%201?lang=fr#x=1');
    expect(window.history.state).toEqual({ n: 1 });
    expect(Object.keys(window)).not.toContain('__parleyShareLink');

    expect(captureShareToken('wf 1')).toBe('pub_early');
    expect(window.__parleyShareLink).toBeUndefined();
    expect(captureShareToken('wf 1')).toBe('pub_early');
  });

  it('leaves other pages and token-less links alone', () => {
    window.history.replaceState(null, '', '/workflows/wf_1#token=not-a-share-link');
    run();
    expect(window.location.hash).toBe('#token=not-a-share-link');
    window.history.replaceState(null, '', '/chat/wf_1#x=1');
    run();
    expect(window.location.hash).toBe('#x=1');
    expect(window.__parleyShareLink).toBeUndefined();
  });
});
