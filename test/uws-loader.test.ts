import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import { loadUws } from '../server/uws/load-uws.js';

const require = createRequire(import.meta.url);

describe('loadUws', () => {
  it('loads the native addon from a .node file, never a JS fallback', () => {
    const messages: string[] = [];
    const loaded = loadUws((m) => messages.push(m));

    expect(loaded.file).toMatch(/\.node$/);
    // The exported object is exactly the one Node's loader produced for that .node path.
    const cached = require.cache[loaded.file];
    expect(cached, `no require.cache entry for ${loaded.file}`).toBeDefined();
    expect(loaded.uws).toBe(cached!.exports);

    expect(loaded.build).toMatch(/^uws-(current|compat) \(/);
    expect(loaded.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(typeof loaded.uws.App).toBe('function');
    expect(typeof loaded.uws.us_listen_socket_close).toBe('function');

    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(loaded.file);
  });

  // The platform script (test/platform/run.sh) names the build its platform must load.
  it.runIf(process.env.PARLEY_EXPECT_UWS)(`loads ${process.env.PARLEY_EXPECT_UWS} where the platform script expects it`, () => {
    expect(loadUws().build.split(' ')[0]).toBe(process.env.PARLEY_EXPECT_UWS);
  });

  it('returns the same module object on a second load', () => {
    expect(loadUws().uws).toBe(loadUws().uws);
  });
});

describe('loadUws when no build loads', () => {
  it('throws one message naming the runtime, every candidate and the remedy', async () => {
    // Hide the addon files from the loader (only its own import of node:fs is replaced).
    vi.resetModules();
    vi.doMock('node:fs', async (orig) => {
      const fs = await orig<typeof import('node:fs')>();
      return { ...fs, existsSync: (p: import('node:fs').PathLike) => !String(p).endsWith('.node') && fs.existsSync(p) };
    });
    try {
      const { loadUws: load } = await import('../server/uws/load-uws.js');
      let message = '';
      try {
        load();
      } catch (err) {
        message = (err as Error).message;
      }
      const addon = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
      expect(message).toContain(`No native uWebSockets.js build loads on Node ${process.version}`);
      expect(message).toContain(`ABI ${process.versions.modules}`);
      expect(message).toContain(`uws-current: no ${addon}`);
      expect(message).toContain(`uws-compat: no ${addon}`);
      expect(message).toMatch(/glibc/);
      expect(message).toContain('npm ci');
    } finally {
      vi.doUnmock('node:fs');
      vi.resetModules();
    }
  });
});
