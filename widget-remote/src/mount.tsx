import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ChatWidget } from './ChatWidget';
import { resolveWidgetConfig } from './config';
import type { ChatWidgetOptions, MountWidget } from './contract';

/**
 * Renders the widget into `element` for hosts without React (exposed as `./mount`). The element should be empty and
 * owned by the widget until the returned function is called.
 */
export const mount: MountWidget = (element: Element, options: ChatWidgetOptions) => {
  // Fail synchronously, at the call site, on bad options rather than later inside React.
  resolveWidgetConfig(options);
  const root = createRoot(element, { identifierPrefix: 'parley-' });
  root.render(
    <StrictMode>
      <ChatWidget {...options} />
    </StrictMode>,
  );
  let mounted = true;
  return () => {
    if (!mounted) return;
    mounted = false;
    root.unmount();
  };
};

export default mount;
