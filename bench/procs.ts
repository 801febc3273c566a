/**
 * Child processes of the bench: each in a process group of its own (detached), all tracked so that an
 * error, Ctrl-C or a normal end kills every group; wrk runs and its output parsing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

const children = new Set<ChildProcess>();

export function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM') {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** SIGTERM the group, SIGKILL it if it is still there after `graceMs`. */
export async function stopGroup(child: ChildProcess, graceMs = 8000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    killGroup(child, 'SIGKILL'); // grandchildren, if any
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  killGroup(child, 'SIGKILL');
  children.delete(child);
}

export function killAll() {
  for (const c of children) killGroup(c, 'SIGKILL');
  children.clear();
}

export function spawnTracked(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdio?: ('ignore' | 'pipe' | number)[] },
): ChildProcess {
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Run to completion (bounded by `timeoutMs`), returning stdout/stderr. */
export function runTracked(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnTracked(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      reject(
        new Error(`${cmd} ${args.join(' ')}: no exit after ${opts.timeoutMs} ms\n${stderr.slice(-2000)}`),
      );
    }, opts.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Poll `url` every `everyMs` until it answers 200; resolves with the ms since `since`. */
export async function waitFor200(
  url: string,
  o: { since: number; timeoutMs: number; everyMs?: number; child?: ChildProcess },
): Promise<number> {
  const deadline = o.since + o.timeoutMs;
  while (performance.now() < deadline) {
    if (o.child && (o.child.exitCode !== null || o.child.signalCode !== null)) {
      throw new Error(
        `${url}: the process exited (${o.child.exitCode ?? o.child.signalCode}) before answering`,
      );
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return performance.now() - o.since;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, o.everyMs ?? 20));
  }
  throw new Error(`${url}: no 200 within ${o.timeoutMs} ms`);
}

export interface LoadResult {
  rps: number;
  requests: number;
  p50: number;
  p99: number;
  non2xx: number;
  socketErrors: number;
  seconds: number;
}

const toMs = (v: string, unit: string) =>
  Number(v) * (unit === 'us' ? 0.001 : unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 1);

export function parseWrk(out: string): LoadResult {
  const pct = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    return m ? toMs(m[1]!, m[2]!) : Number.NaN;
  };
  const req = /^\s*(\d+) requests in ([\d.]+)(us|ms|s|m)/m.exec(out);
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  if (!req || !rps) throw new Error(`cannot parse wrk output:\n${out}`);
  return {
    rps: Number(rps[1]),
    requests: Number(req[1]),
    seconds: toMs(req[2]!, req[3]!) / 1000,
    p50: pct('50'),
    p99: pct('99'),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: sock ? Number(sock[1]) + Number(sock[2]) + Number(sock[3]) + Number(sock[4]) : 0,
  };
}

export async function wrk(o: {
  url: string;
  seconds: number;
  connections: number;
  threads?: number;
  headers?: Record<string, string>;
  script?: string;
  env?: Record<string, string>;
}): Promise<LoadResult> {
  const args = [
    `-t${o.threads ?? 2}`,
    `-c${o.connections}`,
    `-d${o.seconds}s`,
    '--latency',
    '--timeout',
    '30s',
  ];
  for (const [k, v] of Object.entries(o.headers ?? {})) args.push('-H', `${k}: ${v}`);
  if (o.script) args.push('-s', o.script);
  args.push(o.url);
  const r = await runTracked('wrk', args, {
    env: { ...process.env, ...o.env },
    timeoutMs: (o.seconds + 40) * 1000,
  });
  if (r.code !== 0) throw new Error(`wrk exited ${r.code}: ${r.stderr}${r.stdout}`);
  return parseWrk(r.stdout);
}
