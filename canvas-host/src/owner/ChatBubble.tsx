import { type KeyboardEvent, useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { chatSessionsApi, workflowsApi } from '../api/endpoints';
import { browserDeviceId } from './device';
import { manifestUrlOf, type RuntimeConfig } from '../config/runtimeConfig';
import type { LoadWidgetOptions } from '../remote/loadWidget';
import { RemoteChatWidget } from '../remote/RemoteChatWidget';
import type { WidgetAuth } from '../remote/widgetContract';

export interface ChatBubbleProps {
  workflowId: string;
  title: string;
  manifestUrl: string;
  domainKey?: string;
  chatkitScriptUrl?: string;
  /** Test seam for the remote loader. */
  loadOptions?: LoadWidgetOptions;
}

const FOCUSABLE = 'a[href], button:not([disabled]), textarea:not([disabled]), input:not([disabled]), select:not([disabled]), iframe, [tabindex]:not([tabindex="-1"])';

/**
 * A floating button that opens the workflow's chat in a modal dialog. The widget remote is downloaded on the first
 * open only, then kept (hidden) while the dialog is closed so the conversation survives. The dialog traps focus,
 * closes on Escape and returns focus to the button.
 */
export function ChatBubble({ workflowId, title, manifestUrl, domainKey, chatkitScriptUrl, loadOptions }: ChatBubbleProps) {
  const [open, setOpen] = useState(false);
  const [opened, setOpened] = useState(false);
  const dialogId = useId();
  const titleId = useId();
  const fabRef = useRef<HTMLButtonElement>(null);
  const dialogRef = useRef<HTMLDivElement>(null);

  const auth = useMemo<WidgetAuth>(
    () => ({ kind: 'session', getToken: () => chatSessionsApi.create(workflowId, { deviceId: browserDeviceId(), userAgent: navigator.userAgent }) }),
    [workflowId],
  );

  const close = useCallback(() => {
    setOpen(false);
    fabRef.current?.focus();
  }, []);

  const toggle = () => {
    if (open) {
      close();
      return;
    }
    setOpened(true);
    setOpen(true);
  };

  // Move focus into the dialog: the composer when the widget is already there (a reopen), else the first control.
  useEffect(() => {
    if (!open) return;
    const dialog = dialogRef.current;
    const target =
      dialog?.querySelector<HTMLElement>('[data-testid="parley-composer"]') ?? dialog?.querySelector<HTMLElement>(FOCUSABLE);
    target?.focus();
  }, [open]);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      close();
      return;
    }
    if (event.key !== 'Tab') return;
    const focusable = Array.from(dialogRef.current?.querySelectorAll<HTMLElement>(FOCUSABLE) ?? []).filter(
      (element) => !element.closest('[hidden]'),
    );
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (!first || !last) return;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };

  return (
    <>
      <button
        ref={fabRef}
        type="button"
        className="fab"
        aria-haspopup="dialog"
        aria-expanded={open}
        aria-controls={opened ? dialogId : undefined}
        aria-label={open ? 'Close chat' : `Chat with ${title}`}
        data-testid="chat-bubble"
        onClick={toggle}
      >
        <svg aria-hidden="true" viewBox="0 0 24 24" width="26" height="26" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
          {open ? <path d="M6 6l12 12M18 6L6 18" /> : <path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z" />}
        </svg>
      </button>
      {opened && (
        <div
          ref={dialogRef}
          id={dialogId}
          role="dialog"
          aria-modal="true"
          aria-labelledby={titleId}
          className="chat-dialog"
          hidden={!open}
          data-testid="chat-dialog"
          onKeyDown={onKeyDown}
        >
          <div className="chat-dialog__header">
            <h2 id={titleId}>Chat · {title}</h2>
            <button type="button" aria-label="Close chat" data-testid="chat-dialog-close" onClick={close}>
              ×
            </button>
          </div>
          <div className="chat-dialog__body">
            <RemoteChatWidget
              manifestUrl={manifestUrl}
              apiBaseUrl={window.location.origin}
              workflowId={workflowId}
              auth={auth}
              title={title}
              theme="system"
              {...(domainKey ? { domainKey } : {})}
              {...(chatkitScriptUrl ? { chatkitScriptUrl } : {})}
              {...(loadOptions ? { loadOptions } : {})}
            />
          </div>
        </div>
      )}
    </>
  );
}

/**
 * The bubble for the workflow an owner is looking at, unless `/api/config` turns the canvas chat off. Mount it keyed
 * by workflow id, so switching workflows tears the old chat down.
 */
export function WorkflowChat({
  workflowId,
  config,
  loadOptions,
}: {
  workflowId: string;
  config: RuntimeConfig;
  loadOptions?: LoadWidgetOptions;
}) {
  const [title, setTitle] = useState('this workflow');
  const enabled = config.features.canvasChat !== false;
  useEffect(() => {
    if (!enabled) return;
    let active = true;
    workflowsApi.get(workflowId).then(
      (workflow) => active && setTitle(workflow.name),
      () => {},
    );
    return () => {
      active = false;
    };
  }, [workflowId, enabled]);
  if (!enabled) return null;
  return (
    <ChatBubble
      workflowId={workflowId}
      title={title}
      manifestUrl={manifestUrlOf(config)}
      domainKey={config.chatkit.domainKey}
      chatkitScriptUrl={config.chatkit.scriptUrl}
      {...(loadOptions ? { loadOptions } : {})}
    />
  );
}
