/**
 * The order test files start in: the longest first, so that the two workers finish together.
 * Without timings from an earlier run (a clean clone, as CI is) vitest starts the largest
 * files first, and the fuzz test is small but takes about 40 s: it started last and ran
 * alone at the end. The files named here start first, longest first (durations of a run on
 * 2026-12-02, two workers); the rest follow in vitest's own order.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const LONGEST = [
  'test/fuzz.test.ts', // 42 s
  'test/cluster.test.ts', // 38 s
  'test/browser.test.ts', // 27 s
  'test/embedded-db.test.ts', // 26 s
  'test/http-framing.test.ts', // 24 s
  'test/abuse-limits.test.ts', // 15 s
  'test/process.test.ts', // 14 s
  'test/db-deadlines.test.ts', // 10 s
];

const rank = (spec: TestSpecification): number => {
  const i = LONGEST.findIndex((file) => spec.moduleId.endsWith(`/${file}`));
  return i < 0 ? LONGEST.length : i;
};

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const ordered = await super.sort(files);
    // Array.prototype.sort is stable: files not named keep vitest's order.
    return ordered.sort((a, b) => rank(a) - rank(b));
  }
}
