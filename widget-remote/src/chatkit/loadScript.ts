/** The custom element OpenAI's ChatKit script defines. */
export const CHATKIT_ELEMENT = 'openai-chatkit';

export type ChatKitScriptFailure = 'script_error' | 'timeout';

export class ChatKitScriptError extends Error {
  override readonly name = 'ChatKitScriptError';

  constructor(readonly reason: ChatKitScriptFailure) {
    super(reason === 'timeout' ? 'The ChatKit script did not load in time' : 'The ChatKit script failed to load');
  }
}

const loading = new Map<string, Promise<void>>();

/**
 * Adds OpenAI's ChatKit `<script>` once per URL (only when `<openai-chatkit>` is not defined yet) and resolves when
 * the element is defined. Rejects with `script_error` as soon as the script fails, or `timeout` after `timeoutMs`;
 * a failed URL may be tried again later.
 */
export function loadChatKitScript(url: string, timeoutMs: number, doc: Document = document): Promise<void> {
  const registry = doc.defaultView?.customElements ?? globalThis.customElements;
  if (registry?.get(CHATKIT_ELEMENT)) return Promise.resolve();

  let defined = loading.get(url);
  if (!defined) {
    const script = doc.createElement('script');
    defined = new Promise<void>((resolve, reject) => {
      script.src = url;
      script.async = true;
      script.dataset.parleyChatkit = '';
      script.addEventListener('error', () => reject(new ChatKitScriptError('script_error')), { once: true });
      doc.head.appendChild(script);
      registry?.whenDefined(CHATKIT_ELEMENT).then(() => resolve(), reject);
    }).catch((error: unknown) => {
      // Let a later mount try again instead of reusing a dead script tag.
      loading.delete(url);
      script.remove();
      throw error;
    });
    loading.set(url, defined);
  }

  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ChatKitScriptError('timeout')), timeoutMs);
    defined.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
