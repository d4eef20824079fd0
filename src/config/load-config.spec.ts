import { ConfigError, loadConfig } from './load-config.js';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({});

    expect(config.port).toBe(8080);
    expect(config.ferro).toMatchObject({
      dataDir: './data',
      storage: 'local',
      wsMaxConnections: 1000,
      wsBuffer: 1024,
      wsHeartbeatMs: 30_000,
      allowedOrigins: [],
      healthIntervalMs: 10_000,
      syncMaxOps: 100_000,
    });
    expect(config.ferro.simpleAuth).toBeUndefined();
  });

  it('reads every variable', () => {
    const config = loadConfig({
      FERRO_PORT: '9000',
      FERRO_DATA_DIR: '/srv/ferro',
      FERRO_STORAGE: 'memory',
      FERRO_ADMIN_USER: 'admin',
      FERRO_ADMIN_PASSWORD: 'p:ss wörd',
      FERRO_WS_MAX_CONNECTIONS: '10',
      FERRO_WS_BUFFER: '64',
      FERRO_WS_HEARTBEAT_MS: '5000',
      FERRO_ALLOWED_ORIGINS: 'https://a.example, http://localhost:3000',
      FERRO_HEALTH_INTERVAL_MS: '500',
      FERRO_SYNC_MAX_OPS: '50',
      FERRO_PUBLIC_URL: 'https://files.example/',
    });

    expect(config).toEqual({
      port: 9000,
      ferro: {
        dataDir: '/srv/ferro',
        storage: 'memory',
        simpleAuth: { user: 'admin', password: 'p:ss wörd' },
        wsMaxConnections: 10,
        wsBuffer: 64,
        wsHeartbeatMs: 5000,
        allowedOrigins: ['https://a.example', 'http://localhost:3000'],
        healthIntervalMs: 500,
        syncMaxOps: 50,
        publicUrl: 'https://files.example',
      },
    });
  });

  it('falls back to PORT, and treats empty values as unset', () => {
    expect(loadConfig({ PORT: '3000', FERRO_ADMIN_USER: '', FERRO_PORT: ' ' }).port).toBe(3000);
  });

  it.each([
    ['FERRO_PORT', { FERRO_PORT: 'abc' }],
    ['FERRO_PORT', { FERRO_PORT: '70000' }],
    ['FERRO_PORT', { FERRO_PORT: '80.5' }],
    ['FERRO_STORAGE', { FERRO_STORAGE: 's3' }],
    ['FERRO_WS_MAX_CONNECTIONS', { FERRO_WS_MAX_CONNECTIONS: '0' }],
    ['FERRO_WS_BUFFER', { FERRO_WS_BUFFER: '-1' }],
    ['FERRO_WS_HEARTBEAT_MS', { FERRO_WS_HEARTBEAT_MS: '5' }],
    ['FERRO_HEALTH_INTERVAL_MS', { FERRO_HEALTH_INTERVAL_MS: 'soon' }],
    ['FERRO_SYNC_MAX_OPS', { FERRO_SYNC_MAX_OPS: '1e3' }],
    ['FERRO_ALLOWED_ORIGINS', { FERRO_ALLOWED_ORIGINS: 'https://a.example/path' }],
    ['FERRO_ADMIN_USER', { FERRO_ADMIN_USER: 'admin' }],
    ['FERRO_ADMIN_PASSWORD', { FERRO_ADMIN_PASSWORD: 'secret' }],
    ['FERRO_OIDC_AUDIENCE', { FERRO_OIDC_ISSUER: 'https://id.example' }],
    ['FERRO_OIDC_ISSUER', { FERRO_OIDC_ISSUER: 'not a url', FERRO_OIDC_AUDIENCE: 'ferro' }],
    [
      'FERRO_OIDC_CLIENT_SECRET',
      { FERRO_OIDC_ISSUER: 'https://id.example', FERRO_OIDC_CLIENT_ID: 'c' },
    ],
    ['FERRO_SESSION_SECRET', { FERRO_SESSION_SECRET: 'short' }],
  ])('refuses a bad %s', (name, env) => {
    expect(() => loadConfig(env)).toThrow(name);
  });

  it('reads OIDC with the issuer exactly as given and the audience defaulting to the client', () => {
    const config = loadConfig({
      FERRO_OIDC_ISSUER: 'https://id.example/realms/ferro/',
      FERRO_OIDC_CLIENT_ID: 'ferro-web',
      FERRO_OIDC_CLIENT_SECRET: 'shh',
    });

    expect(config.ferro.oidc).toEqual({
      issuer: 'https://id.example/realms/ferro/',
      clientId: 'ferro-web',
      clientSecret: 'shh',
      audience: 'ferro-web',
    });
  });

  it('names every bad variable in one error', () => {
    const error = catchError(() => loadConfig({ FERRO_PORT: 'x', FERRO_STORAGE: 'y' }));

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toHaveLength(2);
  });

  it('never repeats a secret in its message', () => {
    const error = catchError(() =>
      loadConfig({ FERRO_ADMIN_PASSWORD: 'hunter2', FERRO_OIDC_CLIENT_SECRET: '' }),
    );

    expect(String(error)).not.toContain('hunter2');
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}
