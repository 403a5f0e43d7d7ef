import { useCallback, useEffect, useState } from 'react';
import { ApiError, onSignedOut } from '../api/client';
import { authApi } from '../api/endpoints';
import type { User } from '../api/types';
import { useRuntimeConfig } from '../config/runtimeConfig';
import { type OwnerRoute, pageTitle, paths, workflowIdOf } from '../routes';
import { Link, navigate } from '../router';
import { ErrorAlert, Loading } from '../ui/components';
import { ActivityPage } from './ActivityPage';
import { AuditPage } from './AuditPage';
import { AuthPage } from './AuthPage';
import { WorkflowChat } from './ChatBubble';
import { SessionsPage } from './SessionsPage';
import { TranscriptPage, TranscriptsPage } from './TranscriptsPage';
import { NewWorkflowPage, WorkflowPage } from './WorkflowPage';
import { WorkflowsPage } from './WorkflowsPage';

type AuthState = { status: 'loading' } | { status: 'signedOut' } | { status: 'signedIn'; user: User } | { status: 'error'; error: unknown };

/**
 * The owner app (code-split from the public page): checks the cookie session with `GET /api/auth/me`, shows sign-in
 * when there is none, and renders the page for the route, plus the chat bubble on workflow pages.
 */
export default function OwnerApp({ route }: { route: OwnerRoute }) {
  const [auth, setAuth] = useState<AuthState>({ status: 'loading' });
  const runtime = useRuntimeConfig();

  const loadUser = useCallback(async () => {
    setAuth({ status: 'loading' });
    try {
      setAuth({ status: 'signedIn', user: await authApi.me() });
    } catch (error) {
      setAuth(error instanceof ApiError && error.status === 401 ? { status: 'signedOut' } : { status: 'error', error });
    }
  }, []);

  useEffect(() => {
    void loadUser();
    return onSignedOut(() => setAuth({ status: 'signedOut' }));
  }, [loadUser]);

  // Signed-in owners have nothing to do on the sign-in pages.
  const onAuthPage = route.name === 'signIn' || route.name === 'register';
  useEffect(() => {
    if (auth.status === 'signedIn' && onAuthPage) navigate(paths.workflows(), { replace: true });
  }, [auth.status, onAuthPage]);

  const title =
    auth.status === 'signedOut' || onAuthPage ? pageTitle({ name: route.name === 'register' ? 'register' : 'signIn' }) : pageTitle(route);
  useEffect(() => {
    document.title = title;
  }, [title]);

  const signOut = async () => {
    try {
      await authApi.logout();
    } finally {
      setAuth({ status: 'signedOut' });
      navigate(paths.signIn());
    }
  };

  if (auth.status === 'loading') return <Loading />;
  if (auth.status === 'error') return <ErrorAlert error={auth.error} onRetry={() => void loadUser()} />;
  if (auth.status === 'signedOut' || onAuthPage) {
    return (
      <AuthPage
        mode={route.name === 'register' ? 'register' : 'signIn'}
        oidcEnabled={runtime.status === 'ready' && runtime.config.oidcEnabled}
        onSignedIn={(user) => {
          setAuth({ status: 'signedIn', user });
          if (onAuthPage) navigate(paths.workflows(), { replace: true });
        }}
      />
    );
  }

  const workflowId = workflowIdOf(route);
  return (
    <>
      <nav className="owner-nav" aria-label="Owner">
        <Link to={paths.workflows()} aria-current={route.name === 'workflows' ? 'page' : undefined}>
          Workflows
        </Link>
        <Link to={paths.sessions()} aria-current={route.name === 'sessions' ? 'page' : undefined}>
          Chat sessions
        </Link>
        <span className="owner-nav__user" data-testid="signed-in-user">
          {auth.user.email}
        </span>
        {runtime.status === 'ready' && runtime.config.oidcEnabled && (
          // Starting SSO while signed in is what connects a password account to the SSO identity (docs/security.md).
          <a
            className="button"
            href={authApi.ownerSsoUrl(window.location.pathname)}
            data-testid="sso-connect"
            title="Sign in with SSO once while signed in here, so SSO signs in to this account from now on"
          >
            Connect SSO
          </a>
        )}
        <button type="button" onClick={() => void signOut()} data-testid="sign-out">
          Sign out
        </button>
      </nav>
      <OwnerPage route={route} />
      {workflowId && runtime.status === 'ready' && (
        // Keyed by workflow: switching workflows tears down the old chat, its token and its timers.
        <WorkflowChat key={workflowId} workflowId={workflowId} config={runtime.config} />
      )}
    </>
  );
}

function OwnerPage({ route }: { route: OwnerRoute }) {
  switch (route.name) {
    case 'workflows':
      return <WorkflowsPage />;
    case 'newWorkflow':
      return <NewWorkflowPage />;
    case 'workflow':
      return <WorkflowPage workflowId={route.workflowId} />;
    case 'transcripts':
      return <TranscriptsPage workflowId={route.workflowId} />;
    case 'transcript':
      return <TranscriptPage workflowId={route.workflowId} threadId={route.threadId} />;
    case 'audit':
      return <AuditPage workflowId={route.workflowId} />;
    case 'activity':
      return <ActivityPage workflowId={route.workflowId} />;
    case 'sessions':
      return <SessionsPage />;
    case 'signIn':
    case 'register':
      return null;
  }
}
