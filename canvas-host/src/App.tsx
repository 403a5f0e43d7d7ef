import { lazy, Suspense } from 'react';
import { matchRoute } from './routes';
import { useLocation } from './router';

// Two code-split apps: public visitors never download the owner app, and owners only fetch the public page when they
// open a share link.
const OwnerApp = lazy(() => import('./owner/OwnerApp'));
const PublicChatPage = lazy(() => import('./public/PublicChatPage'));

const loading = (
  <div className="skeleton" role="status" aria-label="Loading…">
    <span />
    <span />
    <span />
  </div>
);

export function App() {
  const { pathname } = useLocation();
  const route = matchRoute(pathname);

  return (
    <>
      <header className="app-header">
        <a href="/" className="app-header__brand">
          Parley
        </a>
      </header>
      <main>
        <Suspense fallback={loading}>
          {route.name === 'publicChat' ? (
            <PublicChatPage workflowId={route.workflowId} />
          ) : route.name === 'notFound' ? (
            <section aria-labelledby="not-found-title">
              <h1 id="not-found-title">Page not found</h1>
              <p>
                <a href="/">Go to Parley</a>
              </p>
            </section>
          ) : (
            <OwnerApp route={route} />
          )}
        </Suspense>
      </main>
    </>
  );
}
