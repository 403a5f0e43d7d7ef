import { createTestApp, TestApp } from '../setup/test-app';
import { Browser, DevIdp, PUBLIC_ORIGIN, signInAtProvider, startDevIdp } from './helpers';

/** Sign-in errors seen by a browser: an HTML page with a way back to where the visitor came from. */
describe('OpenID Connect errors in the browser', () => {
  let idp: DevIdp;
  let t: TestApp;
  beforeAll(async () => {
    idp = await startDevIdp();
    t = await createTestApp({ env: idp.env });
  });
  afterAll(async () => {
    await t?.close();
    await idp?.stop();
  });

  const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

  it('a visitor who cancels at the provider gets a page leading back to the chat they came from', async () => {
    const browser = new Browser(t.baseUrl);
    const callbackUrl = await signInAtProvider(browser, `${PUBLIC_ORIGIN}/api/auth/oidc/login?returnTo=${encodeURIComponent('/chat/some-workflow')}`, 'cancel');
    const res = await browser.request(callbackUrl, { headers: HTML });
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('data-code="oidc_login_failed"');
    expect(html).toContain(`<a class="primary" href="${PUBLIC_ORIGIN}/chat/some-workflow">Go back</a>`);
  });

  it('API clients keep the JSON error, which names the page to return to', async () => {
    const browser = new Browser(t.baseUrl);
    const callbackUrl = await signInAtProvider(browser, `${PUBLIC_ORIGIN}/api/auth/oidc/login?returnTo=${encodeURIComponent('/chat/other')}`, 'cancel');
    const res = await browser.request(callbackUrl, { headers: { accept: 'application/json' } });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ code: 'oidc_login_failed', details: { returnTo: `${PUBLIC_ORIGIN}/chat/other` } });
  });
});
