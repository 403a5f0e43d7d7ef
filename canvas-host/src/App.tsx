import { lazy, Suspense } from 'react';
import { OwnerHome } from './owner/OwnerHome';
import { matchRoute } from './routes';

// Public visitors never download the owner app's code, and owners only fetch this chunk when they open a share link.
const PublicChatPage = lazy(() => import('./public/PublicChatPage'));

export interface AppProps {
  pathname?: string;
}

export function App({ pathname = window.location.pathname }: AppProps) {
  const route = matchRoute(pathname);

  return (
    <>
      <header className="app-header">
        <a href="/" className="app-header__brand">
          Parley
        </a>
      </header>
      <main>
        {route.name === 'home' && <OwnerHome />}
        {route.name === 'publicChat' && (
          <Suspense fallback={<p role="status">Loading…</p>}>
            <PublicChatPage workflowId={route.workflowId} />
          </Suspense>
        )}
        {route.name === 'notFound' && (
          <section aria-labelledby="not-found-title">
            <h1 id="not-found-title">Page not found</h1>
            <p>
              <a href="/">Go to Parley</a>
            </p>
          </section>
        )}
      </main>
    </>
  );
}
