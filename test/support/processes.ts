/**
 * The real entry points (src/server.ts, src/worker.ts) as child processes, run the way `npm start` /
 * `npm run worker` run them: through tsx. The tsx binary is spawned directly (not through `npx` or
 * `npm run`): tsx relays SIGTERM to the node process and exits with its code, whereas npm itself dies
 * on SIGTERM at once, without waiting for its child or reporting its exit code.
 *
 * Every JSON line a process writes (stdout and stderr) is parsed and kept, so tests can wait for a log
 * line and read what the process did.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * As `npm start` / `npm run worker` run them: node with tsx's loader, one process. (The tsx CLI puts a
 * relay process in front, which kills the child outright if it does not acknowledge a signal within
 * 30 ms — a busy event loop under load lost its graceful shutdown that way.)
 */
const TSX_LOADER = ['--import', 'tsx'];

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export type LogLine = Record<string, unknown> & { msg?: string; at: number };

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** performance.now() when it exited. */
  at: number;
}

export interface RoostProcess {
  child: ChildProcess;
  name: string;
  /** Parsed JSON log lines, in order, each stamped with `at` (performance.now() when read). */
  lines: LogLine[];
  /** Everything written that was not a JSON line (for failure messages). */
  text(): string;
  exit: Exit | undefined;
  exited: Promise<Exit>;
  waitForLine(match: (l: LogLine) => boolean, timeoutMs: number, label: string): Promise<LogLine>;
  /** Send a signal and wait for the exit (at most `timeoutMs`, then SIGKILL and throw). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit & { ms: number }>;
}

const running = new Set<ChildProcess>();

/** SIGKILL whatever a test left running (by pid: only the processes this file started). */
export function killLeftovers() {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  running.clear();
}

/** The environment of a child: this process's, minus anything that would point it elsewhere. */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['DATABASE_URL', 'REDIS_URL', 'PORT', 'HOST', 'NODE_OPTIONS', 'QUEUE_PREFIX'])
    delete base[k];
  // No worker metrics endpoint unless a test asks for one (a fixed default port would collide).
  return { ...base, NODE_ENV: 'test', HOST: '127.0.0.1', WORKER_METRICS_PORT: '0', ...env };
}

export function startRoost(
  /** A source entry (run through tsx, as `npm start` does) or the compiled server (`npm run start:prod`). */
  entry: 'src/server.ts' | 'src/worker.ts' | 'dist/server.js',
  env: Record<string, string>,
  name: string = entry,
  /** The node binary to run it with (default: the one running the tests). */
  node: string = process.execPath,
): RoostProcess {
  const child = spawn(node, [...(entry.startsWith('dist/') ? [] : TSX_LOADER), entry], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: LogLine[] = [];
  let other = '';
  const waiters = new Set<() => void>();
  const onData = () => {
    let buffered = '';
    return (chunk: Buffer) => {
      buffered += String(chunk);
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf('\n');
        if (line.startsWith('{')) {
          try {
            lines.push({ ...(JSON.parse(line) as Record<string, unknown>), at: performance.now() });
            continue;
          } catch {
            // not JSON after all
          }
        }
        other += `${line}\n`;
      }
      for (const w of waiters) w();
    };
  };
  child.stdout!.on('data', onData());
  child.stderr!.on('data', onData());
  const proc: RoostProcess = {
    child,
    name,
    lines,
    text: () => other.slice(-4000),
    exit: undefined,
    exited: new Promise<Exit>((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        proc.exit = { code, signal, at: performance.now() };
        resolve(proc.exit);
        for (const w of waiters) w();
      });
    }),
    waitForLine(match, timeoutMs, label) {
      return new Promise<LogLine>((resolve, reject) => {
        const check = () => {
          const found = lines.find(match);
          if (found) return done(() => resolve(found));
          if (proc.exit)
            return done(() =>
              reject(new Error(`${name} exited (${proc.exit!.code}) before ${label}:\n${proc.text()}`)),
            );
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`timed out waiting for ${label} from ${name}:\n${proc.text()}`))),
          timeoutMs,
        );
        const done = (fn: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          fn();
        };
        waiters.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
      const sent = performance.now();
      if (!proc.exit) child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([
        proc.exited,
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (!result) {
        child.kill('SIGKILL');
        throw new Error(`${name} did not exit within ${timeoutMs} ms of ${signal}:\n${proc.text()}`);
      }
      return { ...result, ms: Math.round(result.at - sent) };
    },
  };
  return proc;
}

/** Poll `url` until it answers 200 (or the process exits, or the deadline passes). */
export async function waitUntilServing(proc: RoostProcess, url: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exit) throw new Error(`${proc.name} exited with ${proc.exit.code}:\n${proc.text()}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${proc.name} did not serve ${url} within ${timeoutMs} ms:\n${proc.text()}`);
}

export interface Finished {
  code: number | null;
  out: string;
  err: string;
  /** stdout and stderr as they came, interleaved. */
  all: string;
}

/** Runs a command from the repository root to its end (SIGKILL after `timeoutMs`); never rejects on a non-zero exit. */
export function runToExit(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 90_000,
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    const got = { out: '', err: '', all: '' };
    child.stdout.on('data', (d) => {
      got.out += String(d);
      got.all += String(d);
    });
    child.stderr.on('data', (d) => {
      got.err += String(d);
      got.all += String(d);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, ...got });
    });
  });
}

/** `src/cli/<name>.ts` as `npm run <name>` runs it: node with tsx's loader. */
export function runCli(name: string, args: string[], env: Record<string, string>, timeoutMs?: number) {
  return runToExit(process.execPath, [...TSX_LOADER, `src/cli/${name}.ts`, ...args], env, timeoutMs);
}
