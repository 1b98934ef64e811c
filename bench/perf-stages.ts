/**
 * Splits the CPU of a Node process into the stages a message passes through, from `perf`
 * samples: `perf record -e cpu-clock -g` counts only time on a CPU (kernel and native code
 * included), and node's --perf-basic-prof names the JavaScript frames with their source
 * file. Each sample goes to the stage of the innermost JavaScript frame on its stack that
 * belongs to one (a zod call made by a route counts as validation; the kernel's send under
 * the room feed's publish counts as publishing), GC to GC, and a sample with no such frame to
 * where it ran: the kernel, uWS's native code, or Node's.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';

/** A stage and the source files of its JavaScript; the first rule that matches a frame wins. */
const STAGE_RULES: Array<{ stage: string; file: RegExp }> = [
  { stage: 'publish (room feed, uWS topic, sends)', file: /server\/(chat\/(room-feed|room-activity|live-lists)|broker\/)/ },
  { stage: 'frame encoding (msgpackr)', file: /msgpackr|server\/protocol\/(codec|plain-msgpack)/ },
  { stage: 'reply (response writer, uWS end)', file: /server\/uws-fetch\/(response-writer|light-response)/ },
  { stage: 'HTTP parse and bridge', file: /server\/uws-fetch\// },
  { stage: 'validation (zod)', file: /\/zod\/|server\/http\/middleware\/validate/ },
  { stage: 'session (cookie, cache)', file: /iron-session|iron-webcrypto|uncrypto|server\/auth\/|middleware\/session/ },
  { stage: 'commit in Node (pg, group commit)', file: /node_modules\/(pg|pg-protocol|pg-types|pg-pool)\/|server\/store\/(group-commit|writer-pool|pg-time)/ },
  { stage: 'WebSocket gateway', file: /server\/gateway\// },
  { stage: 'logging and metrics', file: /\/pino|prom-client|server\/(metrics|logger)/ },
  { stage: 'ORM (MikroORM, knex)', file: /@mikro-orm|\/knex\// },
  { stage: 'routing and middleware (Hono, routes)', file: /node_modules\/hono\/|server\/http\// },
];

const GC = /v8::internal::(Heap|Scavenger|MarkCompact|MinorMarkCompact|ConcurrentMarking|Sweeper|IncrementalMarking|ScavengerCollector|MemoryAllocator)/;
/** A JavaScript frame of --perf-basic-prof: "JS:*name file:///path:line" or "LazyCompile:..." */
const JS_FRAME = /^(JS|LazyCompile|Function|InterpretedFunction):/;

export const OUTSIDE = {
  kernel: 'outside JavaScript: kernel (socket I/O, epoll, scheduling)',
  uws: 'outside JavaScript: uWS native (HTTP/WS parsing, framing)',
  native: 'outside JavaScript: Node, V8 and libc native',
  otherJs: 'other JavaScript',
  gc: 'garbage collection',
};

export interface PerfStages {
  /** The main thread's samples per stage. */
  main: Map<string, number>;
  mainSamples: number;
  /** Samples of every other thread. */
  otherSamples: number;
  /** Samples whose innermost frame was in the kernel, main thread. */
  mainKernel: number;
}

export interface PerfRecording {
  /** Stops recording and reads the samples. */
  stop(): Promise<PerfStages>;
}

/** Whether `perf record` can sample here (the tool is installed and allowed to). */
export function perfAvailable(): boolean {
  try {
    execFileSync('perf', ['record', '-e', 'cpu-clock', '-o', '/dev/null', '--', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Samples every thread of `pid` at `hz` until stop(). */
export function recordPerf(pid: number, file: string, hz = 999): PerfRecording {
  const child: ChildProcess = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-F', String(hz), '-g', '-p', String(pid), '-o', file], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    async stop() {
      child.kill('SIGINT');
      await exited;
      return readPerf(file, pid);
    },
  };
}

function stageOfStack(frames: Array<{ sym: string; dso: string }>): string {
  if (frames.some((f) => GC.test(f.sym))) return OUTSIDE.gc;
  let sawJs = false;
  for (const f of frames) {
    if (!JS_FRAME.test(f.sym)) continue;
    sawJs = true;
    for (const r of STAGE_RULES) if (r.file.test(f.sym)) return r.stage;
  }
  if (sawJs) return OUTSIDE.otherJs;
  const leaf = frames[0];
  if (!leaf || leaf.dso.includes('kernel')) return OUTSIDE.kernel;
  if (/uws/i.test(leaf.dso)) return OUTSIDE.uws;
  return OUTSIDE.native;
}

export function readPerf(file: string, mainTid: number): PerfStages {
  const text = execFileSync('perf', ['script', '-i', file, '-F', 'tid,ip,sym,dso'], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
  const out: PerfStages = { main: new Map(), mainSamples: 0, otherSamples: 0, mainKernel: 0 };
  const flush = (tid: number, frames: Array<{ sym: string; dso: string }>) => {
    if (tid !== mainTid) {
      out.otherSamples++;
      return;
    }
    const stage = stageOfStack(frames);
    out.main.set(stage, (out.main.get(stage) ?? 0) + 1);
    out.mainSamples++;
    if (frames[0]?.dso.includes('kernel')) out.mainKernel++;
  };
  let tid: number | undefined;
  let frames: Array<{ sym: string; dso: string }> = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (tid !== undefined) flush(tid, frames);
      tid = undefined;
      frames = [];
      continue;
    }
    if (!/^\s/.test(line)) {
      tid = Number(line.trim().split(/\s+/)[0]);
      continue;
    }
    // "\t    7f12ab34 symbol+0x1c (/path/to/dso)"
    const m = /^\s*[0-9a-f]+\s+(.*?)\s+\(([^)]*)\)\s*$/.exec(line);
    if (m) frames.push({ sym: m[1]!.replace(/\+0x[0-9a-f]+$/, ''), dso: m[2]! });
  }
  if (tid !== undefined) flush(tid, frames);
  return out;
}
