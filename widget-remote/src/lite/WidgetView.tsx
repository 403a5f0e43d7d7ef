import type { ReactNode } from 'react';
import type { ActionConfig, WidgetNode } from './protocol';

const CONTAINERS = new Set(['Card', 'ListView', 'Basic', 'Box', 'Row', 'Col', 'Form', 'ListViewItem', 'Transition']);
const TEXTS = new Set(['Text', 'Caption', 'Label']);

export interface WidgetViewProps {
  node: WidgetNode;
  disabled: boolean;
  onAction: (action: ActionConfig) => void;
}

/**
 * A minimal rendering of a ChatKit widget tree: layout containers, text, images, badges, dividers and buttons whose
 * server actions become `threads.custom_action`. Form inputs and charts need the full ChatKit renderer.
 */
export function WidgetView({ node, disabled, onAction }: WidgetViewProps): ReactNode {
  const children = Array.isArray(node.children)
    ? node.children.map((child, index) => (
        <WidgetView key={child.id ?? index} node={child} disabled={disabled} onAction={onAction} />
      ))
    : null;
  const text = (key: string) => (typeof node[key] === 'string' ? (node[key] as string) : '');

  if (CONTAINERS.has(node.type)) {
    return (
      <div className={`pw-w pw-w-${node.type.toLowerCase()}`} data-widget={node.type}>
        {children}
      </div>
    );
  }
  if (TEXTS.has(node.type)) return <p className="pw-w-text">{text('value')}</p>;
  if (node.type === 'Markdown') return <MarkdownText value={text('value')} />;
  switch (node.type) {
    case 'Title':
      return <p className="pw-w-title">{text('value')}</p>;
    case 'Badge':
      return <span className="pw-w-badge">{text('label')}</span>;
    case 'Divider':
      return <hr />;
    case 'Image':
      return text('src') ? <img className="pw-w-image" src={text('src')} alt={text('alt')} /> : null;
    case 'Button': {
      const action = node.onClickAction as ActionConfig | undefined;
      // Client-handled actions belong to a host's ChatKit `widgets.onAction`; the lite renderer has none.
      const usable = !!action && typeof action.type === 'string' && action.handler !== 'client';
      return (
        <button
          type="button"
          className={node.style === 'primary' ? 'pw-w-button pw-primary' : 'pw-w-button'}
          data-testid="parley-widget-button"
          disabled={disabled || !usable}
          onClick={() => usable && onAction(action)}
        >
          {text('label') || 'Continue'}
        </button>
      );
    }
    default:
      return children ? <div className="pw-w">{children}</div> : null;
  }
}

/**
 * Markdown as plain text, except fenced code blocks, which keep their line breaks and indentation (an approval card
 * shows the tool's arguments pretty-printed in one). Never HTML: the text is rendered, not parsed as markup.
 */
export function MarkdownText({ value }: { value: string }): ReactNode {
  const parts = value.split(/^```[^\n]*\n?/m);
  return (
    <div className="pw-w-markdown">
      {parts.map((part, index) =>
        index % 2 === 1 ? (
          <pre key={index} className="pw-w-code">
            <code>{part.replace(/\n$/, '')}</code>
          </pre>
        ) : part.trim() ? (
          <p key={index} className="pw-w-text">
            {part.trim()}
          </p>
        ) : null,
      )}
    </div>
  );
}
