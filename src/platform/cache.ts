/**
 * A small cache for read-heavy endpoints (listing detail, search pages): Redis when REDIS_URL is set,
 * memory otherwise. Invalidation is explicit: delete a key, or bump a namespace's version so every key
 * built under the old version is never read again (and expires by TTL).
 */
import type { Redis } from 'ioredis';

export interface Cache {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  del(key: string): Promise<void>;
  /** Current version of a namespace (starts at 0). */
  version(namespace: string): Promise<number>;
  /** Invalidate a whole namespace. */
  bump(namespace: string): Promise<void>;
}

export class RedisCache implements Cache {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'roost:cache:',
  ) {}
  async get<T>(key: string) {
    const raw = await this.redis.get(this.prefix + key);
    return raw === null ? undefined : (JSON.parse(raw) as T);
  }
  async set(key: string, value: unknown, ttlSeconds: number) {
    await this.redis.set(this.prefix + key, JSON.stringify(value), 'EX', ttlSeconds);
  }
  async del(key: string) {
    await this.redis.del(this.prefix + key);
  }
  async version(namespace: string) {
    return Number((await this.redis.get(`${this.prefix}v:${namespace}`)) ?? 0);
  }
  async bump(namespace: string) {
    await this.redis.incr(`${this.prefix}v:${namespace}`);
  }
}

export class MemoryCache implements Cache {
  private readonly entries = new Map<string, { value: string; expires: number }>();
  private readonly versions = new Map<string, number>();
  async get<T>(key: string) {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires < Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return JSON.parse(e.value) as T;
  }
  async set(key: string, value: unknown, ttlSeconds: number) {
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(key, { value: JSON.stringify(value), expires: Date.now() + ttlSeconds * 1000 });
  }
  async del(key: string) {
    this.entries.delete(key);
  }
  async version(namespace: string) {
    return this.versions.get(namespace) ?? 0;
  }
  async bump(namespace: string) {
    this.versions.set(namespace, (this.versions.get(namespace) ?? 0) + 1);
  }
}

/** Read through the cache: `load` runs on a miss and its result is stored. TTL 0 disables caching. */
export async function cached<T>(
  cache: Cache,
  key: string,
  ttlSeconds: number,
  load: () => Promise<T>,
): Promise<T> {
  if (ttlSeconds <= 0) return load();
  const hit = await cache.get<T>(key);
  if (hit !== undefined) return hit;
  const value = await load();
  await cache.set(key, value, ttlSeconds);
  return value;
}
