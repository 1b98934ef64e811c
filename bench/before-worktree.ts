/**
 * `--before <ref>`: Parley at an older commit, checked out (detached) into a throwaway git
 * worktree whose node_modules is a symlink to this checkout's, so both commits run on the
 * same dependencies. Its web client is built there first, in a process of its own: Parley
 * would otherwise build it on start, inside the server process measured (Vite in its heap).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, type BeforeCommit } from './server-process.js';
import { buildWebClient } from './web-client.js';

const git = (args: string[]): string => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** The commit `ref` names; throws a one-line message when it names none. */
export function resolveBefore(ref: string): BeforeCommit {
  let commit: string;
  try {
    commit = git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  } catch {
    throw new Error(`--before: "${ref}" does not name a commit in this repository`);
  }
  return { ref, commit, short: git(['rev-parse', '--short', commit]) };
}

export interface Worktree {
  dir: string;
  /** Removes the worktree (idempotent, never throws). */
  remove(): void;
}

export function addWorktree(commit: string): Worktree {
  const dir = mkdtempSync(join(tmpdir(), 'parley-before-'));
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    try {
      git(['worktree', 'remove', '--force', dir]);
    } catch {
      // Not (or no longer) a registered worktree: delete the directory, forget it if registered.
      rmSync(dir, { recursive: true, force: true });
      try {
        git(['worktree', 'prune']);
      } catch {
        /* nothing to prune */
      }
    }
  };
  try {
    git(['worktree', 'add', '--detach', dir, commit]);
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  } catch (err) {
    remove();
    throw new Error(`--before: could not check out ${commit} into ${dir}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (existsSync(join(dir, 'vite.config.ts'))) {
    try {
      buildWebClient(dir);
    } catch (err) {
      remove();
      throw new Error(`--before: ${(err as Error).message}`);
    }
  }
  return { dir, remove };
}
