import type { HttpToolDefinition } from '../../workflows/runner-definition';
import { buildHttpRequest } from './http-tool';
import { capOutput, TOOL_OUTPUT_LIMIT_BYTES, TRUNCATION_MARKER } from './tool-output';

const tool = (method: HttpToolDefinition['method'], url: string): HttpToolDefinition => ({ type: 'http', name: 't', method, url });

describe('buildHttpRequest', () => {
  it('fills path placeholders (encoded) and puts the rest in the query for GET and DELETE', () => {
    expect(buildHttpRequest(tool('GET', 'https://api.example.com/orders/{id}/items'), { id: 'a/b c', page: 2, filter: { x: 1 }, none: null })).toEqual({
      url: 'https://api.example.com/orders/a%2Fb%20c/items?page=2&filter=%7B%22x%22%3A1%7D',
    });
    expect(buildHttpRequest(tool('DELETE', 'https://api.example.com/x/{id}?fixed=1'), { id: 7, force: true })).toEqual({ url: 'https://api.example.com/x/7?fixed=1&force=true' });
  });

  it('sends the rest as a JSON body for POST, PUT and PATCH', () => {
    expect(buildHttpRequest(tool('POST', 'https://api.example.com/users/{user}/todos'), { user: 'u1', title: 'milk', done: false })).toEqual({
      url: 'https://api.example.com/users/u1/todos',
      body: '{"title":"milk","done":false}',
    });
    expect(buildHttpRequest(tool('PATCH', 'https://api.example.com/a'), {})).toEqual({ url: 'https://api.example.com/a', body: '{}' });
  });
});

describe('capOutput', () => {
  it('keeps short outputs and cuts long ones to the limit with the marker, on a character boundary', () => {
    expect(capOutput('short')).toBe('short');
    const long = 'é'.repeat(TOOL_OUTPUT_LIMIT_BYTES);
    const capped = capOutput(long);
    expect(Buffer.byteLength(capped)).toBeLessThanOrEqual(TOOL_OUTPUT_LIMIT_BYTES);
    expect(capped.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(capped).not.toContain('\uFFFD');
  });
});
