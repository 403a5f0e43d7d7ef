import { afterEach, describe, expect, it, vi } from 'vitest';
import { CHATKIT_ELEMENT, loadChatKitScript } from './loadScript';

/** A document whose custom-element registry and script loading the test controls. */
function fakeDocument() {
  let define: () => void = () => {};
  const defined = new Promise<CustomElementConstructor>((resolve) => {
    define = () => resolve(class extends HTMLElement {});
  });
  const scripts: HTMLScriptElement[] = [];
  let isDefined = false;
  const doc = {
    defaultView: {
      customElements: {
        get: (name: string) => (isDefined && name === CHATKIT_ELEMENT ? class {} : undefined),
        whenDefined: () => defined,
      },
    },
    createElement: () => document.createElement('script'),
    head: {
      appendChild: (script: HTMLScriptElement) => {
        scripts.push(script);
        return script;
      },
    },
  } as unknown as Document;
  return {
    doc,
    scripts,
    define: () => {
      isDefined = true;
      define();
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('loadChatKitScript', () => {
  it('adds the script once per URL and resolves when <openai-chatkit> is defined', async () => {
    const page = fakeDocument();
    const url = 'https://cdn.test/chatkit.js?1';
    const first = loadChatKitScript(url, 5000, page.doc);
    const second = loadChatKitScript(url, 5000, page.doc);
    expect(page.scripts).toHaveLength(1);
    expect(page.scripts[0]!.src).toBe(url);
    expect(page.scripts[0]!.async).toBe(true);

    page.define();
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
    // Already defined: nothing is added.
    await loadChatKitScript(url, 5000, page.doc);
    expect(page.scripts).toHaveLength(1);
  });

  it('rejects with script_error as soon as the script fails, and lets a later call try again', async () => {
    const page = fakeDocument();
    const url = 'https://cdn.test/chatkit.js?2';
    const attempt = loadChatKitScript(url, 5000, page.doc);
    page.scripts[0]!.dispatchEvent(new Event('error'));
    await expect(attempt).rejects.toMatchObject({ name: 'ChatKitScriptError', reason: 'script_error' });

    void loadChatKitScript(url, 5000, page.doc).catch(() => {});
    expect(page.scripts).toHaveLength(2);
  });

  it('rejects with timeout when the element is not defined in time', async () => {
    vi.useFakeTimers();
    const page = fakeDocument();
    const attempt = loadChatKitScript('https://cdn.test/chatkit.js?3', 3000, page.doc);
    const outcome = expect(attempt).rejects.toMatchObject({ reason: 'timeout' });
    await vi.advanceTimersByTimeAsync(3000);
    await outcome;
  });
});
