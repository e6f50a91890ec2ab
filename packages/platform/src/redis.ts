import { Redis } from "ioredis";

export type { Redis } from "ioredis";

/**
 * Commands fail fast while Redis is down (no offline queue), so callers can degrade
 * instead of hanging; the client keeps reconnecting in the background.
 */
export function createRedis(url: string): Redis {
  return new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
}

export async function pingRedis(redis: Redis): Promise<void> {
  await redis.ping();
}
