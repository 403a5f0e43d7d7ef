import { lazy, Suspense, useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { type ApiErrorInfo, describeError, type ErrorView } from './api/errors';
import { createAuthFetch } from './auth/authFetch';
import { loadChatKitScript } from './chatkit/loadScript';
import { buildChatKitOptions } from './chatkit/options';
import { fetchWidgetRuntimeConfig, resolveWidgetConfig, type WidgetRuntimeConfig } from './config';
import type { ChatWidgetOptions, ClientToolHandler, RendererFallbackReason, WidgetAuth } from './contract';
import { createLiteClient } from './lite/client';
import { LiteChat } from './lite/LiteChat';
import { ErrorBanner, FatalScreen, RateLimitBanner, Skeleton, useCountdown } from './ui/status';
import { WIDGET_CSS } from './ui/styles';

// A separate chunk: visitors on the lite renderer never download ChatKit's React binding.
const ChatKitRenderer = lazy(() => import('./chatkit/ChatKitRenderer'));

type ActiveRenderer =
  | { kind: 'pending' }
  | { kind: 'lite'; fallback?: RendererFallbackReason }
  | { kind: 'chatkit'; domainKey: string }
  /** `renderer: 'chatkit'` was asked for explicitly and cannot start. */
  | { kind: 'failed'; reason: RendererFallbackReason };

/**
 * The Parley chat, exposed to hosts as `./ChatWidget`: picks the renderer (ChatKit, or the built-in lite one),
 * authenticates every request through one auth fetch, and shows the states both renderers share — loading, a
 * failure that ends the chat (invalid, replaced or revoked link, sign-in needed), and the rate-limit countdown.
 */
export function ChatWidget(props: ChatWidgetOptions) {
  const [runtime, setRuntime] = useState<WidgetRuntimeConfig | null>(null);
  const config = resolveWidgetConfig(props, runtime ?? {});
  const { apiBaseUrl, workflowId, renderer } = config;
  const headingId = useId();

  // Hosts pass new closures (onEvent, getToken) on every render; read the latest without re-running effects.
  const latest = useRef(config);
  useEffect(() => {
    latest.current = config;
  });
  const emit = useCallback<typeof config.emit>((event) => latest.current.emit(event), []);

  useEffect(() => {
    emit({ type: 'open' });
    return () => emit({ type: 'close' });
  }, [emit]);

  const [fatal, setFatal] = useState<ErrorView | null>(null);
  const [blockedUntil, setBlockedUntil] = useState<number | null>(null);
  const secondsLeft = useCountdown(blockedUntil);
  useEffect(() => {
    if (blockedUntil !== null && secondsLeft === 0) setBlockedUntil(null);
  }, [blockedUntil, secondsLeft]);

  const authKind = config.auth.kind;
  const describe = useCallback(
    (info: ApiErrorInfo) => describeError(info, { authKind, apiBaseUrl }),
    [authKind, apiBaseUrl],
  );

  const onFailure = useCallback(
    (info: ApiErrorInfo) => {
      emit({ type: 'request_failed', code: info.code, ...(info.status ? { status: info.status } : {}) });
      const view = describe(info);
      if (view.fatal) setFatal(view);
      else if (view.kind === 'rate_limited') setBlockedUntil(Date.now() + (view.retryAfterSeconds ?? 0) * 1000);
    },
    [emit, describe],
  );

  const publishToken = config.auth.kind === 'publishToken' ? config.auth.token : null;
  const authFetch = useMemo(() => {
    const auth: WidgetAuth =
      publishToken !== null
        ? { kind: 'publishToken', token: publishToken }
        : latest.current.auth.kind === 'hostSession'
          ? {
              kind: 'hostSession',
              getClientSecret: (current) => {
                const now = latest.current.auth;
                if (now.kind !== 'hostSession') throw new Error('auth changed kind');
                return now.getClientSecret(current);
              },
            }
          : {
              kind: 'session',
              getToken: () => {
                const current = latest.current.auth;
                if (current.kind !== 'session') throw new Error('auth changed kind');
                return current.getToken();
              },
            };
    return createAuthFetch({
      auth,
      workflowId,
      onFailure,
      onChatKitRequest: (type) => {
        if (type === 'threads.create' || type === 'threads.add_user_message') emit({ type: 'message_sent' });
      },
    });
    // The auth kind (not the callback's identity) decides the fetch; callbacks are read through `latest`.
  }, [publishToken, authKind, workflowId, onFailure, emit]);
  useEffect(() => {
    setFatal(null);
    return () => authFetch.dispose();
  }, [authFetch]);

  const liteClient = useMemo(
    () => createLiteClient(`${apiBaseUrl}/api/chatkit`, authFetch, onFailure),
    [apiBaseUrl, authFetch, onFailure],
  );

  // Runtime config (`/api/config`) is only needed for ChatKit's domain key and script URL.
  const needsRuntime = renderer !== 'lite' && !props.domainKey;
  useEffect(() => {
    if (!needsRuntime) return;
    const controller = new AbortController();
    void fetchWidgetRuntimeConfig(apiBaseUrl, undefined, controller.signal).then((value) => {
      if (!controller.signal.aborted) setRuntime(value);
    });
    return () => controller.abort();
  }, [needsRuntime, apiBaseUrl]);

  const [active, setActive] = useState<ActiveRenderer>({ kind: renderer === 'lite' ? 'lite' : 'pending' });
  const [attempt, setAttempt] = useState(0);
  const ready = !needsRuntime || runtime !== null;
  const { domainKey, chatkitScriptUrl, chatkitTimeoutMs } = config;
  useEffect(() => {
    if (renderer === 'lite') {
      setActive({ kind: 'lite' });
      return;
    }
    if (!ready) return;
    let cancelled = false;
    const give = (reason: RendererFallbackReason) => {
      if (cancelled) return;
      if (renderer === 'chatkit') {
        setActive({ kind: 'failed', reason });
        return;
      }
      emit({ type: 'renderer_fallback', from: 'chatkit', to: 'lite', reason });
      setActive({ kind: 'lite', fallback: reason });
    };
    if (!domainKey) {
      give('missing_domain_key');
      return;
    }
    setActive({ kind: 'pending' });
    loadChatKitScript(chatkitScriptUrl, chatkitTimeoutMs).then(
      () => !cancelled && setActive({ kind: 'chatkit', domainKey }),
      (error: unknown) => give((error as { reason?: RendererFallbackReason }).reason ?? 'script_error'),
    );
    return () => {
      cancelled = true;
    };
  }, [renderer, ready, domainKey, chatkitScriptUrl, chatkitTimeoutMs, emit, attempt]);

  // A stable handler that calls the host's latest `onClientTool`; absent when the host passes none.
  const hasClientTool = config.onClientTool !== undefined;
  const runHostTool = useCallback<ClientToolHandler>((call) => {
    const handler = latest.current.onClientTool;
    if (!handler) throw new Error('This page no longer runs client tools.');
    return handler(call);
  }, []);
  const onClientTool = hasClientTool ? runHostTool : undefined;

  const signIn = (loginUrl: string) => {
    const handler = latest.current.onSignIn;
    if (handler) handler(loginUrl);
    else window.location.assign(loginUrl);
  };

  let body;
  if (fatal) {
    body = <FatalScreen view={fatal} onSignIn={signIn} />;
  } else if (active.kind === 'pending') {
    body = <Skeleton label="Loading chat…" />;
  } else if (active.kind === 'chatkit') {
    body = (
      <Suspense fallback={<Skeleton label="Loading chat…" />}>
        <ChatKitRenderer
          options={buildChatKitOptions({ ...config, domainKey: active.domainKey, onClientTool }, authFetch)}
          onError={(error) => console.warn('[parley-widget] ChatKit error', error)}
        />
      </Suspense>
    );
  } else if (active.kind === 'failed') {
    body = (
      <ErrorBanner
        view={{
          kind: 'generic',
          fatal: false,
          code: 'chatkit_unavailable',
          title: 'The chat could not load',
          message:
            active.reason === 'missing_domain_key'
              ? 'ChatKit is not configured on this server.'
              : 'OpenAI’s chat component did not load. Check your connection.',
        }}
        {...(active.reason === 'missing_domain_key' ? {} : { onRetry: () => setAttempt((n) => n + 1) })}
      />
    );
  } else {
    body = (
      <LiteChat
        client={liteClient}
        greeting={config.greeting}
        starterPrompts={config.starterPrompts}
        blocked={blockedUntil !== null}
        describe={describe}
        onClientTool={onClientTool}
      />
    );
  }

  return (
    <section
      className="parley-widget"
      aria-labelledby={headingId}
      data-testid="parley-widget"
      data-theme={config.theme}
      data-renderer={renderer}
      data-active-renderer={fatal ? 'none' : active.kind}
      data-workflow-id={workflowId}
    >
      <style>{WIDGET_CSS}</style>
      <h2 id={headingId}>{config.title}</h2>
      {/* No domain key is a deployment choice, not a failure worth a notice. */}
      {active.kind === 'lite' && active.fallback && active.fallback !== 'missing_domain_key' && !fatal && (
        <p className="pw-muted" role="status" data-testid="parley-fallback-notice">
          Showing the simple chat: the full chat could not load here.
        </p>
      )}
      {blockedUntil !== null && !fatal && <RateLimitBanner seconds={secondsLeft} />}
      {body}
    </section>
  );
}

export default ChatWidget;
