import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, ConfigSchema, loadConfig } from './config.js';

const scratch = mkdtempSync(join(tmpdir(), 'roost-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;
/** A fresh, not yet existing data directory. */
const freshDataDir = () => join(scratch, `data-${dirs++}`);
const secretsFile = (dir: string) => join(dir, 'secrets.json');
const base64url32 = /^[A-Za-z0-9_-]{43}$/;

describe('configuration', () => {
  it('applies defaults and converts types', () => {
    const c = loadConfig({ PORT: '8080', TRUST_PROXY: 'true', DATA_DIR: freshDataDir() });
    expect(c.PORT).toBe(8080);
    expect(c.TRUST_PROXY).toBe(true);
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.ACCESS_TOKEN_TTL_SECONDS).toBe(900);
    expect(c.REFRESH_TOKEN_TTL_DAYS).toBe(30);
    expect(c.JWT_SECRET.length).toBeGreaterThanOrEqual(32);
  });

  it('names every bad variable without echoing secrets', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'oracle://root:hunter2@db/x',
        LOG_LEVEL: 'loud',
        JWT_SECRET: 'hunter2',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('PORT');
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('LOG_LEVEL');
    expect(message).toContain('JWT_SECRET');
    expect(message).not.toContain('hunter2');
  });

  it('refuses the public sandbox webhook secret in production', () => {
    const prod = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) };
    expect(() => loadConfig(prod)).toThrow(/SANDBOX_WEBHOOK_SECRET/);
    expect(loadConfig({ ...prod, SANDBOX_WEBHOOK_SECRET: 'a-private-secret-123' }).PAYMENT_PROVIDER).toBe(
      'sandbox',
    );
    expect(() => loadConfig({ ...prod, PAYMENT_PROVIDER: 'stripe' })).toThrow(/STRIPE_SECRET_KEY/);
  });

  it('requires a real JWT secret in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET: required in production/);
    const ok = {
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(32),
      SANDBOX_WEBHOOK_SECRET: 'a-private-secret-123',
    };
    expect(loadConfig(ok).JWT_SECRET).toBe('x'.repeat(32));
  });

  it('refuses to start in production without JWT_SECRET, even when a data directory holds one', () => {
    const dir = freshDataDir();
    loadConfig({ DATA_DIR: dir }); // a development start generated secrets here
    expect(existsSync(secretsFile(dir))).toBe(true);
    const prod = { NODE_ENV: 'production', DATA_DIR: dir, SANDBOX_WEBHOOK_SECRET: 'a-private-secret-123' };
    expect(() => loadConfig(prod)).toThrow(/JWT_SECRET: required in production/);
  });

  it('never writes secrets in production; an unset sandbox secret (sandbox not registered) is random', () => {
    const dir = freshDataDir();
    const prod = {
      NODE_ENV: 'production',
      DATA_DIR: dir,
      JWT_SECRET: 'y'.repeat(40),
      PAYMENT_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: 'sk_test_x',
      STRIPE_WEBHOOK_SECRET: 'whsec_x',
    };
    const a = loadConfig(prod);
    const b = loadConfig(prod);
    expect(a.JWT_SECRET).toBe('y'.repeat(40));
    expect(a.SANDBOX_WEBHOOK_SECRET).toMatch(base64url32);
    expect(a.SANDBOX_WEBHOOK_SECRET).not.toBe(b.SANDBOX_WEBHOOK_SECRET);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('secrets generated in DATA_DIR', () => {
  it('generates unset secrets once (0600 file) and reuses them on every later load', () => {
    const dir = freshDataDir();
    const first = loadConfig({ DATA_DIR: dir });
    expect(first.JWT_SECRET).toMatch(base64url32);
    expect(first.SANDBOX_WEBHOOK_SECRET).toMatch(base64url32);
    expect(first.JWT_SECRET).not.toBe(first.SANDBOX_WEBHOOK_SECRET);
    expect(statSync(secretsFile(dir)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(secretsFile(dir), 'utf8'))).toEqual({
      JWT_SECRET: first.JWT_SECRET,
      SANDBOX_WEBHOOK_SECRET: first.SANDBOX_WEBHOOK_SECRET,
    });
    // Every mode but production (tests included), with whatever else changes.
    for (const env of [{}, { NODE_ENV: 'test' }, { NODE_ENV: 'development', PORT: '4000' }]) {
      const again = loadConfig({ ...env, DATA_DIR: dir });
      expect(again.JWT_SECRET).toBe(first.JWT_SECRET);
      expect(again.SANDBOX_WEBHOOK_SECRET).toBe(first.SANDBOX_WEBHOOK_SECRET);
    }
    // A variable that is set wins over the kept value, and leaves the file alone.
    const own = loadConfig({ DATA_DIR: dir, JWT_SECRET: 'z'.repeat(32) });
    expect(own.JWT_SECRET).toBe('z'.repeat(32));
    expect(own.SANDBOX_WEBHOOK_SECRET).toBe(first.SANDBOX_WEBHOOK_SECRET);
    expect(JSON.parse(readFileSync(secretsFile(dir), 'utf8')).JWT_SECRET).toBe(first.JWT_SECRET);
  });

  it('never uses a constant: no default in the schema, and every data directory gets its own secrets', () => {
    expect(ConfigSchema.properties.JWT_SECRET).not.toHaveProperty('default');
    expect(ConfigSchema.properties.SANDBOX_WEBHOOK_SECRET).not.toHaveProperty('default');
    const values = [0, 1, 2].flatMap(() => {
      const c = loadConfig({ DATA_DIR: freshDataDir() });
      return [c.JWT_SECRET, c.SANDBOX_WEBHOOK_SECRET];
    });
    expect(new Set(values).size).toBe(values.length);
    const sources = ['config.ts', 'secrets.ts'].map((f) =>
      readFileSync(fileURLToPath(new URL(f, import.meta.url)), 'utf8'),
    );
    for (const v of values) for (const source of sources) expect(source).not.toContain(v);
  });

  it('adds a missing secret to an existing file, keeping the others', () => {
    const dir = freshDataDir();
    const kept = 'k'.repeat(43);
    loadConfig({ DATA_DIR: dir, JWT_SECRET: 'z'.repeat(32), SANDBOX_WEBHOOK_SECRET: 'given-sandbox-secret' });
    expect(existsSync(dir)).toBe(false); // nothing to generate, nothing written
    loadConfig({ DATA_DIR: dir }); // creates the file
    writeFileSync(secretsFile(dir), JSON.stringify({ JWT_SECRET: kept }), { mode: 0o600 });
    const c = loadConfig({ DATA_DIR: dir });
    expect(c.JWT_SECRET).toBe(kept);
    expect(c.SANDBOX_WEBHOOK_SECRET).toMatch(base64url32);
    expect(loadConfig({ DATA_DIR: dir }).SANDBOX_WEBHOOK_SECRET).toBe(c.SANDBOX_WEBHOOK_SECRET);
  });

  it('brings a file readable by others back to 0600', () => {
    const dir = freshDataDir();
    const { JWT_SECRET } = loadConfig({ DATA_DIR: dir });
    rmSync(secretsFile(dir)); // (writeFileSync keeps the mode of an existing file)
    writeFileSync(secretsFile(dir), JSON.stringify({ JWT_SECRET, SANDBOX_WEBHOOK_SECRET: JWT_SECRET }), {
      mode: 0o644,
    });
    expect(statSync(secretsFile(dir)).mode & 0o077).not.toBe(0);
    expect(loadConfig({ DATA_DIR: dir }).JWT_SECRET).toBe(JWT_SECRET);
    expect(statSync(secretsFile(dir)).mode & 0o777).toBe(0o600);
  });

  it('refuses an unreadable secrets file without echoing it', () => {
    const dir = freshDataDir();
    loadConfig({ DATA_DIR: dir });
    for (const content of ['{"JWT_SECRET": "hunter2', JSON.stringify({ JWT_SECRET: 'hunter2' })]) {
      writeFileSync(secretsFile(dir), content);
      let error: unknown;
      try {
        loadConfig({ DATA_DIR: dir });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/DATA_DIR: .*secrets\.json is not a JSON object of secrets/);
      expect((error as Error).message).not.toContain('hunter2');
    }
  });

  it('takes over a lock left by a process that died holding it', () => {
    const dir = freshDataDir();
    const lock = `${secretsFile(dir)}.lock`;
    loadConfig({ DATA_DIR: dir });
    rmSync(secretsFile(dir));
    writeFileSync(lock, '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    const c = loadConfig({ DATA_DIR: dir });
    expect(c.JWT_SECRET).toMatch(base64url32);
    expect(existsSync(lock)).toBe(false);
  });

  it('lets processes starting at the same moment agree on one value', async () => {
    const dir = freshDataDir();
    const go = join(scratch, `go-${dirs}`);
    const configModule = fileURLToPath(new URL('./config.ts', import.meta.url));
    // Each process loads the code, says so, then waits for the same signal to load its configuration.
    const script = `
      import { existsSync } from 'node:fs';
      const { loadConfig } = await import(${JSON.stringify(configModule)});
      process.stdout.write('ready\\n');
      while (!existsSync(${JSON.stringify(go)})) {}
      const c = loadConfig({ DATA_DIR: ${JSON.stringify(dir)} });
      process.stdout.write(JSON.stringify([c.JWT_SECRET, c.SANDBOX_WEBHOOK_SECRET]) + '\\n');
    `;
    const children = Array.from({ length: 6 }, () => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => {
        out += String(d);
      });
      child.stderr.on('data', (d) => {
        err += String(d);
      });
      const ready = new Promise<void>((resolve) => {
        const check = () => (out.includes('ready') ? resolve() : setTimeout(check, 10));
        check();
      });
      const done = new Promise<string>((resolve, reject) =>
        child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`)))),
      );
      return { ready, done };
    });
    await Promise.all(children.map((c) => c.ready));
    writeFileSync(go, '');
    const outputs = await Promise.all(children.map((c) => c.done));
    const results = outputs.map((o) => o.trim().split('\n').at(-1)!);
    expect(new Set(results).size).toBe(1);
    const [jwt, sandbox] = JSON.parse(results[0]!) as [string, string];
    expect(JSON.parse(readFileSync(secretsFile(dir), 'utf8'))).toEqual({
      JWT_SECRET: jwt,
      SANDBOX_WEBHOOK_SECRET: sandbox,
    });
    expect(statSync(secretsFile(dir)).mode & 0o777).toBe(0o600);
  }, 60_000);
});
