import { useEffect, useId, useRef } from 'react';
import { resolveWidgetConfig } from './config';
import type { ChatWidgetOptions } from './contract';

/**
 * The Parley chat panel, exposed to hosts as `./ChatWidget`. For now a placeholder with the final landmark structure
 * (a labelled region whose conversation log is announced politely); the ChatKit and lite renderers replace its body.
 */
export function ChatWidget(props: ChatWidgetOptions) {
  const config = resolveWidgetConfig(props);
  const headingId = useId();

  // Hosts pass a new `onEvent` closure on every render; read the latest one without re-running the lifecycle effect.
  const emitRef = useRef(config.emit);
  useEffect(() => {
    emitRef.current = config.emit;
  });
  useEffect(() => {
    emitRef.current({ type: 'open' });
    return () => emitRef.current({ type: 'close' });
  }, []);

  return (
    <section
      className="parley-widget"
      aria-labelledby={headingId}
      data-theme={config.theme}
      data-renderer={config.renderer}
      data-workflow-id={config.workflowId}
    >
      <h2 id={headingId}>Chat</h2>
      <div role="log" aria-live="polite" aria-label="Conversation">
        <p>The conversation will appear here.</p>
      </div>
    </section>
  );
}

export default ChatWidget;
