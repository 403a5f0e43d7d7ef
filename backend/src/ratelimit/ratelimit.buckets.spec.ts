import type { Request } from 'express';
import type { Principal } from '../auth/principal';
import { ipKeyOf, linkKeyOf, passesWhileStoreDown, principalKeyOf, tightestOf } from './ratelimit.buckets';

const req = (principal?: Principal, ip = '203.0.113.5') => ({ principal, ip }) as unknown as Request;

const user: Principal = { kind: 'user', userId: 'u1', email: 'a@example.com', credential: 'personal_token', personalTokenId: 't1' };
const chat: Principal = { kind: 'chat', userId: 'u1', workflowId: 'w1', sessionId: 's1', tokenId: 'j1' };
const visitor: Principal = { kind: 'visitor', visitorId: 'vis_1', workflowId: 'w1', publishLinkId: 'l1' };
const oauth: Principal = {
  kind: 'oauth',
  sessionId: 'o1',
  issuer: 'https://idp.example.com',
  subject: 'sub-1',
  email: null,
  name: null,
  expiresAt: new Date(),
};

describe('rate-limit keys', () => {
  it('keys the principal bucket on who acts: user, chat user (not the session), visitor, OIDC subject', () => {
    expect(principalKeyOf(req(user))).toBe('user:u1');
    expect(principalKeyOf(req(chat))).toBe('chat:u1');
    expect(principalKeyOf(req({ ...chat, sessionId: 's2', tokenId: 'j2' }))).toBe('chat:u1');
    expect(principalKeyOf(req(visitor))).toBe('visitor:w1:vis_1');
    expect(principalKeyOf(req({ ...visitor, visitorId: 'vis_2' }))).not.toBe(principalKeyOf(req(visitor)));
    expect(principalKeyOf(req(oauth))).toBe('oauth:https://idp.example.com sub-1');
    expect(principalKeyOf(req())).toBeNull();
  });

  it('keys the link bucket on the share link, for any principal that came through one', () => {
    expect(linkKeyOf(req(visitor))).toBe('link:l1');
    expect(linkKeyOf(req({ ...visitor, visitorId: 'vis_2' }))).toBe('link:l1');
    expect(linkKeyOf(req({ ...oauth, publishLinkId: 'l9' } as Principal))).toBe('link:l9');
    expect(linkKeyOf(req(user))).toBeNull();
    expect(linkKeyOf(req())).toBeNull();
  });

  it('keys the IP bucket on req.ip, grouping IPv6 by /64', () => {
    expect(ipKeyOf(req(undefined, '198.51.100.7'))).toBe('ip:198.51.100.7');
    expect(ipKeyOf(req(undefined, '2001:db8:1:2:aaaa::1'))).toBe(ipKeyOf(req(undefined, '2001:db8:1:2:bbbb::9')));
    expect(ipKeyOf(req(undefined, '2001:db8:1:2::1'))).not.toBe(ipKeyOf(req(undefined, '2001:db8:1:3::1')));
  });
});

describe('store failure policy', () => {
  it('mixed: owners and canvas chat pass; visitors, OIDC users of public links and anonymous requests do not', () => {
    expect(passesWhileStoreDown('mixed', user)).toBe(true);
    expect(passesWhileStoreDown('mixed', chat)).toBe(true);
    expect(passesWhileStoreDown('mixed', visitor)).toBe(false);
    expect(passesWhileStoreDown('mixed', oauth)).toBe(false);
    expect(passesWhileStoreDown('mixed', undefined)).toBe(false);
  });

  it('open and closed apply to everyone', () => {
    for (const p of [user, chat, visitor, oauth, undefined]) {
      expect(passesWhileStoreDown('open', p)).toBe(true);
      expect(passesWhileStoreDown('closed', p)).toBe(false);
    }
  });
});

describe('tightest bucket', () => {
  it('reports the bucket with the fewest requests left, the later reset on a tie', () => {
    const ip = { bucket: 'ip', limit: 120, remaining: 100, resetSeconds: 50 } as const;
    const principal = { bucket: 'principal', limit: 60, remaining: 3, resetSeconds: 20 } as const;
    const link = { bucket: 'link', limit: 600, remaining: 3, resetSeconds: 40 } as const;
    expect(tightestOf([ip, principal])).toBe(principal);
    expect(tightestOf([ip, principal, link])).toBe(link);
    expect(tightestOf([])).toBeUndefined();
  });
});
