import { lazy, Suspense, useEffect } from 'react';
import { matchRoute, pageTitle } from './routes';
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
  // Owner pages are titled by the owner app (it knows whether sign-in is showing), the public page by itself.
  const title = route.name === 'notFound' ? pageTitle(route) : null;
  useEffect(() => {
    if (title) document.title = title;
  }, [title]);

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
