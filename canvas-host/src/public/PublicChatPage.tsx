import { type ReactNode, useCallback, useEffect, useMemo, useState } from 'react';
import { ApiError } from '../api/client';
import { authApi, publishApi } from '../api/endpoints';
import type { PublicWorkflow } from '../api/types';
import { manifestUrlOf, useRuntimeConfig } from '../config/runtimeConfig';
import type { LoadWidgetOptions } from '../remote/loadWidget';
import { RemoteChatWidget } from '../remote/RemoteChatWidget';
import type { WidgetAuth } from '../remote/widgetContract';
import { captureShareToken } from './shareToken';

export interface PublicChatPageProps {
  workflowId: string;
  /** Test seam for the remote loader. */
  loadOptions?: LoadWidgetOptions;
}

type PageState =
  | { status: 'loading' }
  | { status: 'invalid' }
  | { status: 'error'; error: unknown }
  | { status: 'login'; workflow: PublicWorkflow }
  | { status: 'ready'; workflow: PublicWorkflow }
  /**
   * The metadata route answers 404 for unknown, private and revoked workflows alike (ids cannot be probed), so with
   * a token in hand the widget asks the ChatKit gateway, whose verdict tells them apart: `publish_token_invalid`
   * ("This link is not valid") or `workflow_not_published` ("This chat is offline", a revoked link).
   */
  | { status: 'unverified' };

/**
 * The public share-link page (`/chat/:workflowId#token=pub_…`), code-split from the owner app. The token moves into
 * memory and out of the address bar before anything else happens; the page shows the workflow's name only, asks
 * visitors to sign in when the owner requires it, and mounts the widget with the share token.
 */
export default function PublicChatPage({ workflowId, loadOptions }: PublicChatPageProps) {
  // Idempotent, so React StrictMode's double render cannot lose the token.
  const [token, setToken] = useState(() => captureShareToken(workflowId));
  const [state, setState] = useState<PageState>(token ? { status: 'loading' } : { status: 'invalid' });
  const [attempt, setAttempt] = useState(0);
  /** The workflow's name once known, also for the error screens. */
  const [knownName, setKnownName] = useState<string | null>(null);
  const runtime = useRuntimeConfig();

  // A new link pasted into the same tab only changes the fragment: take its token, strip it, start over.
  useEffect(() => {
    const onHashChange = () => {
      if (!/(?:^#|&)token=/.test(window.location.hash) && !new URLSearchParams(window.location.search).has('token')) return;
      const next = captureShareToken(workflowId);
      if (next) {
        setToken(next);
        setState({ status: 'loading' });
        setAttempt((n) => n + 1);
      }
    };
    window.addEventListener('hashchange', onHashChange);
    return () => window.removeEventListener('hashchange', onHashChange);
  }, [workflowId]);

  useEffect(() => {
    let active = true;
    if (!token) {
      // No link to use, but the page can still say which chat this is (published workflows only).
      publishApi.publicInfo(workflowId).then(
        (workflow) => active && setKnownName(workflow.name),
        () => {},
      );
      return () => {
        active = false;
      };
    }
    setState({ status: 'loading' });
    (async () => {
      try {
        const workflow = await publishApi.publicInfo(workflowId);
        if (active) setKnownName(workflow.name);
        let needsLogin = false;
        if (workflow.requireLogin) {
          // Unknown session state (an older server): let the widget's `login_required` handling decide.
          needsLogin = await authApi.oidcSession().then((session) => !session.authenticated, () => false);
        }
        if (active) setState({ status: needsLogin ? 'login' : 'ready', workflow });
      } catch (error) {
        if (!active) return;
        setState(error instanceof ApiError && error.status === 404 ? { status: 'unverified' } : { status: 'error', error });
      }
    })();
    return () => {
      active = false;
    };
  }, [token, workflowId, attempt]);

  const name = state.status === 'ready' || state.status === 'login' ? state.workflow.name : knownName;
  useEffect(() => {
    document.title = name ? `${name} · Parley` : 'Chat · Parley';
  }, [name]);

  /** OIDC leaves the page; the token stays in this tab's storage for the way back (shareToken.ts). */
  const signIn = useCallback((loginUrl: string) => {
    window.location.assign(loginUrl);
  }, []);

  const auth = useMemo<WidgetAuth | null>(() => (token ? { kind: 'publishToken', token } : null), [token]);

  let body;
  if (state.status === 'invalid') {
    body = (
      <Screen testId="public-invalid" title="This link is not valid">
        Check that you copied the whole link, or ask the person who shared it for a new one.
      </Screen>
    );
  } else if (state.status === 'error' || runtime.status === 'error') {
    const retry = () => {
      if (runtime.status === 'error') runtime.retry();
      setAttempt((n) => n + 1);
    };
    body = (
      <Screen testId="public-error" title="The chat could not be loaded">
        Check your connection and try again.{' '}
        <button type="button" onClick={retry}>
          Try again
        </button>
      </Screen>
    );
  } else if (state.status === 'loading' || runtime.status === 'loading') {
    body = (
      <div className="skeleton" role="status" aria-label="Loading chat…" data-testid="public-loading">
        <span />
        <span />
        <span />
      </div>
    );
  } else if (!runtime.config.features.publicChat) {
    body = (
      <Screen testId="public-disabled" title="This chat is offline">
        Public chats are turned off on this server.
      </Screen>
    );
  } else if (state.status === 'login') {
    body = (
      <Screen testId="public-login" title="Sign in to chat">
        The owner of this chat asks visitors to sign in first.{' '}
        <button
          type="button"
          className="primary"
          data-testid="public-sign-in"
          onClick={() => signIn(authApi.oidcLoginUrl(window.location.pathname))}
        >
          Sign in
        </button>
      </Screen>
    );
  } else if (auth) {
    body = (
      <RemoteChatWidget
        key={token ?? ''}
        manifestUrl={manifestUrlOf(runtime.config)}
        apiBaseUrl={window.location.origin}
        workflowId={workflowId}
        auth={auth}
        title={state.status === 'ready' ? state.workflow.name : 'Chat'}
        theme="system"
        domainKey={runtime.config.chatkit.domainKey}
        chatkitScriptUrl={runtime.config.chatkit.scriptUrl}
        onSignIn={signIn}
        {...(loadOptions ? { loadOptions } : {})}
      />
    );
  }

  return (
    <section className="public-chat" aria-labelledby="public-chat-title" data-workflow-id={workflowId}>
      <h1 id="public-chat-title">{name ?? 'Chat'}</h1>
      {body}
    </section>
  );
}

function Screen({ title, testId, children }: { title: string; testId: string; children: ReactNode }) {
  return (
    <div className="screen" role="alert" data-testid={testId}>
      <h2>{title}</h2>
      <p>{children}</p>
    </div>
  );
}
