/**
 * Serves the built web client from memory. Vite puts content-hashed files under /assets/:
 * those are immutable for a year; everything else revalidates with an ETag. Unknown paths
 * get index.html so deep links like /r/general load the app.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type { Context } from 'hono';
import { ApiError, errorResponse } from '../api-error.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

interface StaticFile {
  body: ArrayBuffer;
  type: string;
  etag: string;
  immutable: boolean;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else out.push(full);
  }
  return out;
}

export function loadStaticFiles(root: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (!existsSync(root)) return files;
  for (const full of walk(root)) {
    const urlPath = '/' + relative(root, full).split(sep).join('/');
    const bytes = readFileSync(full);
    const body = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    files.set(urlPath, {
      body,
      type: TYPES[extname(full)] ?? 'application/octet-stream',
      etag: `"${createHash('sha1').update(bytes).digest('base64url')}"`,
      immutable: urlPath.startsWith('/assets/'),
    });
  }
  return files;
}

export function staticHandler(files: Map<string, StaticFile>) {
  return (c: Context): Response => {
    const path = c.req.path === '/' ? '/index.html' : c.req.path;
    let file = files.get(path);
    if (!file && !extname(path)) file = files.get('/index.html');
    if (!file) return errorResponse(c, new ApiError('not_found', `no file ${path}`));
    const headers: Record<string, string> = {
      'content-type': file.type,
      etag: file.etag,
      'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    };
    if (c.req.header('if-none-match') === file.etag) return new Response(null, { status: 304, headers });
    headers['content-length'] = String(file.body.byteLength);
    return new Response(file.body, { status: 200, headers });
  };
}
