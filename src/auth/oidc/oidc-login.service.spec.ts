import type { Profile } from 'passport';

import { principalOfProfile } from './oidc-login.service.js';

function profile(id: string, username?: string): Profile {
  return { provider: 'openidconnect', id, displayName: '', username };
}

describe('principalOfProfile', () => {
  it.each([
    ['userinfo preferred_username', profile('sub-1'), profile('sub-1', 'alice'), 'alice'],
    ['ID token preferred_username', profile('sub-1', 'bob'), undefined, 'bob'],
    ['the subject otherwise', profile('sub-1'), profile('sub-1'), 'sub-1'],
    [
      'the subject when both usernames are empty',
      profile('sub-1', ''),
      profile('sub-1', ''),
      'sub-1',
    ],
  ])('names the owner after %s', (_case, idProfile, userinfo, expected) => {
    expect(principalOfProfile(idProfile, userinfo)).toEqual({ name: expected, method: 'session' });
  });
});
