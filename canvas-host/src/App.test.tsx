import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from './App';
import { matchRoute } from './routes';

describe('matchRoute', () => {
  it('maps paths to routes', () => {
    expect(matchRoute('/')).toEqual({ name: 'home' });
    expect(matchRoute('/chat/wf_1')).toEqual({ name: 'publicChat', workflowId: 'wf_1' });
    expect(matchRoute('/chat/wf%201/')).toEqual({ name: 'publicChat', workflowId: 'wf 1' });
    expect(matchRoute('/chat/')).toEqual({ name: 'notFound' });
    expect(matchRoute('/chat/a/b')).toEqual({ name: 'notFound' });
    expect(matchRoute('/chat/%E0%A4%A')).toEqual({ name: 'notFound' });
  });
});

describe('App', () => {
  it('renders the shell and the owner home on /', () => {
    render(<App pathname="/" />);
    expect(screen.getByRole('banner').textContent).toContain('Parley');
    expect(screen.getByRole('heading', { level: 1, name: 'Workflows' })).toBeTruthy();
  });

  it('loads the code-split public page on /chat/:workflowId', async () => {
    render(<App pathname="/chat/wf_42" />);
    const heading = await screen.findByRole('heading', { level: 1, name: 'Shared chat' });
    expect(heading.closest('section')?.dataset.workflowId).toBe('wf_42');
  });

  it('shows a not-found page for unknown paths', () => {
    render(<App pathname="/nope" />);
    expect(screen.getByRole('heading', { name: 'Page not found' })).toBeTruthy();
  });
});
