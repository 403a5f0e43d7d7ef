import { mount } from './mount';

// Development page only (`npm run dev -w widget-remote`): mounts the widget the way a non-React host would.
const element = document.getElementById('widget');
if (element) {
  mount(element, {
    apiBaseUrl: window.location.origin,
    workflowId: new URLSearchParams(window.location.search).get('workflowId') ?? 'dev-workflow',
    auth: { kind: 'publishToken', token: 'pub_dev' },
    theme: 'system',
    onEvent: (event) => console.info('[parley-widget dev] event', event),
  });
}
