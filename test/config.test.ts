import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../server/config.js';

const SECRET = 'x'.repeat(32);

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'parley-config-'));
});
afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

/** loadConfig with DATA_DIR set to this test's temp dir and warnings collected. */
function load(env: Record<string, string> = {}) {
  const warnings: string[] = [];
  const config = loadConfig({ DATA_DIR: dataDir, SESSION_SECRET: SECRET, ...env }, (m) => warnings.push(m));
  return { config, warnings };
}

/** The ConfigError loadConfig throws for env (fails the test if it does not throw one). */
function configError(env: Record<string, string>): ConfigError {
  try {
    load(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig defaults', () => {
  it('listens on 127.0.0.1:3000 at level info, without secure cookies or extra origins', () => {
    const { config, warnings } = load();
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.logLevel).toBe('info');
    expect(config.secureCookies).toBe(false);
    expect(config.publicUrl).toBeUndefined();
    expect(config.databaseUrl).toBeUndefined();
    expect(config.allowedOrigins).toEqual([]);
    expect(config.dataDir).toBe(dataDir);
    expect(config.sessionSecret).toBe(SECRET);
    expect(warnings).toEqual([]);
  });

  it('takes valid values as given', () => {
    const { config } = load({ PORT: '0', HOST: '0.0.0.0', LOG_LEVEL: 'debug', DATABASE_URL: 'postgres://u:p@db/parley' });
    expect(config.port).toBe(0);
    expect(config.host).toBe('0.0.0.0');
    expect(config.logLevel).toBe('debug');
    expect(config.databaseUrl).toBe('postgres://u:p@db/parley');
  });
});

describe('PUBLIC_URL', () => {
  it('https turns on secure cookies and allows its origin', () => {
    const { config } = load({ PUBLIC_URL: 'https://chat.example.com' });
    expect(config.secureCookies).toBe(true);
    expect(config.publicUrl).toBe('https://chat.example.com');
    expect(config.allowedOrigins).toContain('https://chat.example.com');
  });

  it('http keeps cookies non-secure and is added once beside ALLOWED_ORIGINS', () => {
    const { config } = load({ PUBLIC_URL: 'http://chat.example.com/app', ALLOWED_ORIGINS: 'http://chat.example.com, http://b.example' });
    expect(config.secureCookies).toBe(false);
    expect(config.allowedOrigins).toEqual(['http://chat.example.com', 'http://b.example']);
  });
});

describe('bad values throw a ConfigError naming the variable', () => {
  it.each([
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: '0x10' }],
    ['PORT', { PORT: '1e3' }],
    ['PORT', { PORT: ' ' }],
    ['PORT', { PORT: '-1' }],
    ['PORT', { PORT: '80.5' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'verbose' }],
    ['PUBLIC_URL', { PUBLIC_URL: 'ftp://x' }],
    ['PUBLIC_URL', { PUBLIC_URL: 'nonsense' }],
    ['ALLOWED_ORIGINS', { ALLOWED_ORIGINS: 'http://ok.example,nonsense' }],
    ['SESSION_SECRET', { SESSION_SECRET: 'short' }],
    ['SESSION_SECRET', { SESSION_SECRET: 'y'.repeat(31) }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://u:p@db/parley' }],
    ['DATABASE_URL', { DATABASE_URL: 'nonsense' }],
  ])('%s in %j', (name, env) => {
    const err = configError(env as Record<string, string>);
    expect(err.message).toContain(name);
  });

  it('the bad value is quoted in the message', () => {
    expect(configError({ PORT: 'abc' }).message).toContain('"abc"');
    expect(configError({ LOG_LEVEL: 'verbose' }).message).toContain('"verbose"');
    expect(configError({ PUBLIC_URL: 'ftp://x' }).message).toContain('"ftp://x"');
  });
});

describe('SESSION_SECRET unset', () => {
  it('generates a 0600 secret file once, warns once, and reuses it', () => {
    const file = join(dataDir, 'session-secret');
    const firstWarnings: string[] = [];
    const first = loadConfig({ DATA_DIR: dataDir }, (m) => firstWarnings.push(m));
    expect(first.sessionSecret.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.sessionSecret);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(firstWarnings).toHaveLength(1);
    expect(firstWarnings[0]).toContain('SESSION_SECRET');
    expect(firstWarnings[0]).toContain(file);

    const secondWarnings: string[] = [];
    const second = loadConfig({ DATA_DIR: dataDir }, (m) => secondWarnings.push(m));
    expect(second.sessionSecret).toBe(first.sessionSecret);
    expect(secondWarnings).toEqual([]);
  });

  it('an empty SESSION_SECRET counts as unset', () => {
    const { config, warnings } = load({ SESSION_SECRET: '' });
    expect(readFileSync(join(dataDir, 'session-secret'), 'utf8').trim()).toBe(config.sessionSecret);
    expect(warnings).toHaveLength(1);
  });

  it('a set SESSION_SECRET writes no file', () => {
    load();
    expect(() => statSync(join(dataDir, 'session-secret'))).toThrow();
  });
});
