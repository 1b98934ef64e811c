/**
 * Loads the native uWebSockets.js addon.
 *
 * uWS is not on npm, so two byte-for-byte builds come in through npm aliases:
 *   - uws-current (@btc-vision/uwebsockets.js 20.57.0): Node 20-25, glibc >= 2.38
 *   - uws-compat  (@trufflesuite/uws-js-unofficial 20.30.0-unofficial.0): Node <= 20, glibc >= 2.27
 * We require the `.node` file itself: the compat package's own entry point silently
 * falls back to a slow pure-JS server when the addon fails, which we never want.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as UWS from 'uws-current';

export type Uws = typeof UWS;

export interface LoadedUws {
  uws: Uws;
  build: string;
  version: string;
  file: string;
}

interface Candidate {
  alias: string;
  /** folder inside the package that holds uws_<platform>_<arch>_<abi>.node */
  binDir: string;
}

const CANDIDATES: Candidate[] = [
  { alias: 'uws-current', binDir: '.' },
  { alias: 'uws-compat', binDir: 'binaries' },
];

const require = createRequire(import.meta.url);

/**
 * The package's package.json, found along Node's lookup paths. Not require.resolve(`${alias}/package.json`):
 * uws-current's "exports" map does not export ./package.json, so that throws ERR_PACKAGE_PATH_NOT_EXPORTED.
 */
function packageJsonPath(alias: string): string | undefined {
  for (const dir of require.resolve.paths(alias) ?? []) {
    const file = join(dir, alias, 'package.json');
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** The C library's version at run time: which uWS builds can load depends on it. */
export function glibcVersion(): string {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ?? 'unknown (not glibc)';
}

/** Where each build's addon for this platform, arch and Node ABI would be, in the order they are tried. */
export function uwsAddonFiles(): { alias: string; file?: string; pkgJson?: string; missing?: string }[] {
  const addonName = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  return CANDIDATES.map((c) => {
    const pkgJson = packageJsonPath(c.alias);
    if (!pkgJson) return { alias: c.alias, missing: 'not installed' };
    const file = join(dirname(pkgJson), c.binDir, addonName);
    return existsSync(file) ? { alias: c.alias, file, pkgJson } : { alias: c.alias, missing: `no ${addonName}` };
  });
}

/**
 * The current build reads UWS_HTTP_MAX_HEADERS_SIZE once, when it loads: the most bytes of a
 * request head it buffers, 4 KiB unless set. A browser's head with a few cookies comes near
 * that, and the bridge has limits of its own (8 KiB of target, 16 KiB of headers: 414 and
 * 431 with a JSON error, server/uws-fetch/request-head.ts) that uWS should not undercut with
 * its bare page. So it is raised above both, unless the operator set it.
 */
const HEAD_BUFFER_BYTES = String(32 * 1024);

export function loadUws(log: (msg: string) => void = () => {}): LoadedUws {
  process.env.UWS_HTTP_MAX_HEADERS_SIZE ??= HEAD_BUFFER_BYTES;
  const failures: string[] = [];
  for (const { alias, file, pkgJson, missing } of uwsAddonFiles()) {
    if (!file || !pkgJson) {
      failures.push(`${alias}: ${missing}`);
      continue;
    }
    try {
      const uws = require(file) as Uws;
      const { name, version } = require(pkgJson) as { name: string; version: string };
      const build = `${alias} (${name}@${version})`;
      log(`uWebSockets.js loaded: ${build} from ${file}`);
      return { uws, build, version, file };
    } catch (err) {
      failures.push(`${alias}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(
    `No native uWebSockets.js build loads on Node ${process.version} (ABI ${process.versions.modules}, ` +
      `${process.platform}-${process.arch}, glibc ${glibcVersion()}). Tried: ${failures.join('; ')}. ` +
      `Use Node 20 with glibc >= 2.27, or Node 20-25 with glibc >= 2.38 (Debian 13, Ubuntu 24.04, the Docker image), then run npm ci.`,
  );
}
