/**
 * The fuzzers (bench/fuzz/) in short, with a fixed seed: 3,000 raw HTTP requests and 3,000
 * WebSocket frames against a Parley in a child process, so that a crash shows as its exit
 * rather than taking the test along. `npm run fuzz` runs the long version (100,000 of each);
 * a finding names the flags that replay its input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatReport, runFuzz, type FuzzReport } from '../bench/fuzz/run.js';

const SEED = 20261202;
let report: FuzzReport;

beforeAll(async () => {
  // Fewer connections at once than the long run, and a longer silence before a connection
  // counts as hung: in CI this shares two cores with the other suites.
  report = await runFuzz({ http: 3000, ws: 3000, seed: SEED, concurrency: 300, sockets: 64, hangAfterMs: 45_000 });
}, 300_000);

afterAll(() => {
  if (report) console.log(formatReport(report));
});

const findings = (area: string, kinds?: string[]) =>
  report.findings.filter((f) => f.area === area && (!kinds || kinds.includes(f.kind))).map((f) => `${f.kind}: ${f.detail} (x${f.count}) first: ${f.example} replay: ${f.replay}`);

describe(`fuzz, seed ${SEED}`, () => {
  it('keeps the server up: no crash, /healthz answers after the run', () => {
    expect(report.crash).toBeUndefined();
    expect(report.healthAfter).toBe(200);
    expect(findings('server', ['crash', 'not answering after the run'])).toEqual([]);
  });

  it('answers raw HTTP with a status line and never a 5xx but 503 (or the bridge\'s 501), and never hangs', () => {
    expect(report.http?.cases).toBe(3000);
    expect(report.http?.ends.hang).toBe(0);
    expect(findings('http')).toEqual([]);
  });

  it('answers every WebSocket frame as the contract says, closing only with 1009 after an oversized frame', () => {
    expect(report.ws?.frames).toBe(3000);
    expect(findings('ws').filter((f) => !f.startsWith('string not UTF-8 accepted') && !f.startsWith('ref echoed or dropped'))).toEqual([]);
  });

  it('echoes a ref on the reply to its frame whether the frame is valid or not', () => {
    expect(findings('ws', ['ref echoed or dropped by how its length is counted'])).toEqual([]);
  });

  it('refuses every string that is not UTF-8 as bad_frame', () => {
    expect(report.ws?.kinds.utf8).toBeGreaterThan(0);
    expect(findings('ws', ['string not UTF-8 accepted'])).toEqual([]);
  });

  it('keeps the server RSS bounded', () => {
    expect(report.rss).toBeDefined();
    expect(findings('server', ['RSS grew'])).toEqual([]);
  });
});
