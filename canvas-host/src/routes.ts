/** The host's routes. Owner pages are matched here too, so the entry chunk can pick the owner or the public app. */
export type Route =
  | { name: 'workflows' }
  | { name: 'signIn' }
  | { name: 'register' }
  | { name: 'newWorkflow' }
  | { name: 'workflow'; workflowId: string }
  | { name: 'transcripts'; workflowId: string }
  | { name: 'transcript'; workflowId: string; threadId: string }
  | { name: 'audit'; workflowId: string }
  | { name: 'activity'; workflowId: string }
  | { name: 'sessions' }
  | { name: 'publicChat'; workflowId: string }
  | { name: 'notFound' };

export type OwnerRoute = Exclude<Route, { name: 'publicChat' } | { name: 'notFound' }>;

const STATIC: Record<string, Route> = {
  '/': { name: 'workflows' },
  '/login': { name: 'signIn' },
  '/register': { name: 'register' },
  '/workflows/new': { name: 'newWorkflow' },
  '/sessions': { name: 'sessions' },
};

export function matchRoute(pathname: string): Route {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  const fixed = STATIC[path];
  if (fixed) return fixed;

  const segments = path.split('/').slice(1);
  let decoded: string[];
  try {
    decoded = segments.map((segment) => decodeURIComponent(segment));
  } catch {
    return { name: 'notFound' }; // malformed percent-encoding
  }
  if (decoded.some((segment) => segment === '')) return { name: 'notFound' };
  const [first, workflowId, sub, threadId, ...rest] = decoded;
  if (rest.length > 0 || workflowId === undefined) return { name: 'notFound' };

  if (first === 'chat' && sub === undefined) return { name: 'publicChat', workflowId };
  if (first !== 'workflows') return { name: 'notFound' };
  if (sub === undefined) return { name: 'workflow', workflowId };
  if (sub === 'transcripts') {
    return threadId === undefined ? { name: 'transcripts', workflowId } : { name: 'transcript', workflowId, threadId };
  }
  if (sub === 'audit' && threadId === undefined) return { name: 'audit', workflowId };
  if (sub === 'activity' && threadId === undefined) return { name: 'activity', workflowId };
  return { name: 'notFound' };
}

/** The workflow an owner page is about, if any (the chat bubble follows it). */
export function workflowIdOf(route: Route): string | undefined {
  return 'workflowId' in route && route.name !== 'publicChat' ? route.workflowId : undefined;
}

export const paths = {
  workflows: () => '/',
  signIn: () => '/login',
  register: () => '/register',
  newWorkflow: () => '/workflows/new',
  workflow: (workflowId: string) => `/workflows/${encodeURIComponent(workflowId)}`,
  transcripts: (workflowId: string) => `/workflows/${encodeURIComponent(workflowId)}/transcripts`,
  transcript: (workflowId: string, threadId: string) =>
    `/workflows/${encodeURIComponent(workflowId)}/transcripts/${encodeURIComponent(threadId)}`,
  audit: (workflowId: string) => `/workflows/${encodeURIComponent(workflowId)}/audit`,
  activity: (workflowId: string) => `/workflows/${encodeURIComponent(workflowId)}/activity`,
  sessions: () => '/sessions',
  publicChat: (workflowId: string) => `/chat/${encodeURIComponent(workflowId)}`,
};

const TITLES: Record<Route['name'], string> = {
  workflows: 'Workflows',
  signIn: 'Sign in',
  register: 'Create account',
  newWorkflow: 'New workflow',
  workflow: 'Workflow',
  transcripts: 'Transcripts',
  transcript: 'Conversation',
  audit: 'Audit trail',
  activity: 'Activity',
  sessions: 'Chat sessions',
  publicChat: 'Chat',
  notFound: 'Page not found',
};

/** The document title of a page: what it is, then the product ("Transcripts · Parley"). */
export function pageTitle(route: Route): string {
  return `${TITLES[route.name]} · Parley`;
}

