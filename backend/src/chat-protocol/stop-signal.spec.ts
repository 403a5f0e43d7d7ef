import { offAbort, onAbort, RequestStop } from './stop-signal';

describe('RequestStop', () => {
  it('aborts its real signal first, then calls its own listeners once, in order, none of them in the signal', () => {
    const stop = new RequestStop();
    const heard: string[] = [];
    stop.signal.addEventListener('abort', () => heard.push(`signal:${String(stop.signal.reason)}`));
    onAbort(stop.signal, () => heard.push(`a:${String(stop.signal.aborted)}`));
    onAbort(stop.signal, () => heard.push('b'));
    const removed = (): void => void heard.push('removed');
    onAbort(stop.signal, removed);
    offAbort(stop.signal, removed);
    stop.abort('why');
    stop.abort('again');
    expect(heard).toEqual(['signal:why', 'a:true', 'b']);
  });

  it('without a reason aborts with an AbortError, like AbortController', () => {
    const stop = new RequestStop();
    stop.abort();
    expect({ aborted: stop.aborted, name: (stop.signal.reason as DOMException).name }).toEqual({ aborted: true, name: 'AbortError' });
  });

  it('a listener that removes itself or another while the stop fires changes nothing of that firing', () => {
    const stop = new RequestStop();
    const heard: string[] = [];
    const second = (): void => void heard.push('second');
    onAbort(stop.signal, () => {
      heard.push('first');
      offAbort(stop.signal, second);
    });
    onAbort(stop.signal, second);
    stop.abort();
    expect(heard).toEqual(['first', 'second']);
  });

  it('onAbort on any other signal is addEventListener once', () => {
    const controller = new AbortController();
    let heard = 0;
    const listener = (): void => void heard++;
    onAbort(controller.signal, listener);
    controller.abort();
    controller.abort();
    const other = new AbortController();
    onAbort(other.signal, listener);
    offAbort(other.signal, listener);
    other.abort();
    expect(heard).toBe(1);
  });
});

describe('onAbort with a handleEvent object', () => {
  it('calls handleEvent, through a RequestStop or a plain signal', () => {
    const heard: string[] = [];
    const stop = new RequestStop();
    onAbort(stop.signal, { handleEvent: () => heard.push('stop') });
    stop.abort();
    const controller = new AbortController();
    onAbort(controller.signal, { handleEvent: () => heard.push('plain') });
    controller.abort();
    expect(heard).toEqual(['stop', 'plain']);
  });
});
