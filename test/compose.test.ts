/**
 * compose.yaml, checked without a Docker engine (none runs here): it parses, every reference
 * in it points at something that exists (services, health checks, volumes, configs, the
 * Dockerfile), each Parley node's environment is one Parley's own configuration accepts and
 * reaches the PostgreSQL and Redis services as they are configured, and the load balancer
 * sends traffic to every node on the port it listens on, checking /readyz.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../server/config.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Service {
  image?: string;
  build?: string | { context: string };
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  configs?: Array<{ source: string; target: string }>;
}

interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  configs?: Record<string, { content?: string; file?: string }>;
}

const compose = parse(readFileSync(`${ROOT}/compose.yaml`, 'utf8'), { merge: true }) as Compose;
const services = compose.services;
const nodes = Object.keys(services).filter((name) => name.startsWith('parley-'));

/** Compose's variable forms: ${VAR}, ${VAR:-default}, ${VAR:?error}. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{([A-Z_][A-Z0-9_]*)(?::([-?])([^}]*))?\}/g, (_, name: string, op?: string, arg?: string) => {
    if (env[name]) return env[name];
    if (op === '-') return arg ?? '';
    if (op === '?') throw new Error(`${name} is required: ${arg}`);
    return '';
  });
}

const SECRET = 'x'.repeat(40);
const envOf = (s: Service, vars: Record<string, string> = { SESSION_SECRET: SECRET }) =>
  Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), vars)]));

describe('compose.yaml', () => {
  it('has PostgreSQL, Redis, two Parley nodes and a balancer, and every reference resolves', () => {
    expect(Object.keys(services).sort()).toEqual(['lb', 'parley-1', 'parley-2', 'postgres', 'redis']);
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(services[dep], `${name} depends on ${dep}`).toBeDefined();
        if (condition === 'service_healthy') expect(services[dep]!.healthcheck, `${dep} needs a health check for ${name}`).toBeDefined();
      }
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (!source.startsWith('.') && !source.startsWith('/')) expect(compose.volumes, `volume ${source}`).toHaveProperty(source);
      }
      for (const c of s.configs ?? []) expect(compose.configs, `config ${c.source}`).toHaveProperty(c.source);
      expect(s.image, `${name} names its image`).toMatch(/^[a-z0-9./-]+:[a-z0-9.-]+$/);
    }
    expect(compose.volumes).toHaveProperty('pgdata');
    expect(services.postgres!.volumes).toContain('pgdata:/var/lib/postgresql/data');
    // Parley relays rooms over sharded pub/sub, which Redis has from 7 on.
    expect(Number(/^redis:(\d+)/.exec(services.redis!.image!)![1])).toBeGreaterThanOrEqual(7);
  });

  it('builds each node from the Dockerfile, with a health check on /readyz and a port the balancer uses', () => {
    expect(nodes).toEqual(['parley-1', 'parley-2']);
    for (const name of nodes) {
      const s = services[name]!;
      const context = typeof s.build === 'string' ? s.build : s.build!.context;
      expect(existsSync(`${ROOT}/${context}/Dockerfile`)).toBe(true);
      expect(s.healthcheck!.test.join(' ')).toContain('/readyz');
      expect(s.expose).toContain(envOf(s).PORT);
      expect(s.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
    }
  });

  it("gives every node an environment Parley's configuration accepts, reaching the PostgreSQL and Redis services", () => {
    const pg = envOf(services.postgres!, {});
    const seen = new Set<string>();
    for (const name of nodes) {
      const env = envOf(services[name]!);
      const config = loadConfig(env);
      expect(config.cluster.redisUrl).toBe('redis://redis:6379');
      expect(config.cluster.nodeId).toBe(name);
      expect(config.trustProxy).toBe(true);
      seen.add(config.cluster.nodeId);
      const db = new URL(config.databaseUrl!);
      expect(db.hostname).toBe('postgres');
      expect(services[db.hostname]).toBeDefined();
      expect([decodeURIComponent(db.username), decodeURIComponent(db.password), db.pathname.slice(1)]).toEqual([pg.POSTGRES_USER, pg.POSTGRES_PASSWORD, pg.POSTGRES_DB]);
      expect(new URL(env.REDIS_URL!).hostname).toBe('redis');
    }
    expect(seen.size).toBe(nodes.length);
    // One secret for all nodes, and none at all is refused rather than generated per node.
    expect(new Set(nodes.map((n) => services[n]!.environment!.SESSION_SECRET)).size).toBe(1);
    expect(() => envOf(services['parley-1']!, {})).toThrow(/SESSION_SECRET is required/);
    // A password given for PostgreSQL reaches the nodes too.
    const withPassword = { SESSION_SECRET: SECRET, POSTGRES_PASSWORD: 's3cret' };
    expect(new URL(envOf(services['parley-2']!, withPassword).DATABASE_URL!).password).toBe(envOf(services.postgres!, withPassword).POSTGRES_PASSWORD);
  });

  it('publishes the balancer, which proxies to every node on its port and checks /readyz', () => {
    const lb = services.lb!;
    expect(lb.ports).toEqual(['8080:8080']);
    const caddyfile = compose.configs![lb.configs![0]!.source]!.content!;
    expect(lb.configs![0]!.target).toBe('/etc/caddy/Caddyfile');
    expect(caddyfile).toMatch(/^:8080 \{/m);
    const upstreams = /reverse_proxy ([^{]+)\{/.exec(caddyfile)![1]!.trim().split(/\s+/);
    expect(upstreams.sort()).toEqual(nodes.map((n) => `${n}:${envOf(services[n]!).PORT}`).sort());
    expect(caddyfile).toContain('health_uri /readyz');
    expect(Object.keys(lb.depends_on!).sort()).toEqual(nodes);
  });
});
