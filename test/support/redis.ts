/** Real Redis for tests (TEST_REDIS_URL, default redis://127.0.0.1:6379), with a key prefix per test file. */
import { Redis } from 'ioredis';

export const redisUrl = () => process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export const uniquePrefix = (name: string) => `roost-test:${name}:${process.pid}:${Date.now().toString(36)}`;

export function testRedis(): Redis {
  return new Redis(redisUrl(), { maxRetriesPerRequest: 3 });
}

/** Delete every key under a prefix. */
export async function dropPrefix(redis: Redis, prefix: string) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000, label = 'condition') {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${label}`);
}
