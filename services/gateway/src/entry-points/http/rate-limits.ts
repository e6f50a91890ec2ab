import { once } from "node:events";
import rateLimit from "@fastify/rate-limit";
import { AppError, type Redis } from "@shop/platform";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Authenticator } from "./authenticate.js";

const CONNECT_WAIT_MS = 2_000;

export interface RateLimitSettings {
  max: number;
  windowMs: number;
  /** Key prefix in Redis; gateways sharing it share the counters. */
  keyPrefix: string;
  /** Longest a check may take; a slower one is skipped like a failed one. */
  redisTimeoutMs: number;
}

/**
 * One counter per client in Redis, shared by every gateway instance: the user id when the request
 * carries a valid token, else the client IP. Runs first (onRequest), so rejected and invalid
 * requests count too. The Redis client has no offline queue, so while Redis is down each check
 * fails at once and `skipOnError` lets the request through unlimited instead of failing it; a
 * Redis that hangs instead of refusing is cut off by a command timeout on the limiter's own
 * connection (a duplicate of the given client, closed with the app).
 * Must be registered before the routes it covers.
 */
export function registerRateLimits(
  app: FastifyInstance,
  opts: { redis: Redis; auth: Authenticator; settings: RateLimitSettings },
): void {
  const redis = opts.redis.duplicate({ commandTimeout: opts.settings.redisTimeoutMs });
  redis.on("error", () => {}); // reconnects by itself; every failed check is already skipped
  // Give the connection a moment at start, without making a Redis outage block startup.
  app.addHook("onReady", async () => {
    if (redis.status === "ready") return;
    // Ends early on a connection error too: the check is skipped while Redis is down anyway.
    await once(redis, "ready", { signal: AbortSignal.timeout(CONNECT_WAIT_MS) }).catch(() => undefined);
  });
  app.addHook("onClose", async () => {
    redis.disconnect();
  });
  app.register(rateLimit, {
    global: true,
    hook: "onRequest",
    max: opts.settings.max,
    timeWindow: opts.settings.windowMs,
    redis,
    nameSpace: opts.settings.keyPrefix,
    skipOnError: true,
    keyGenerator: async (req: FastifyRequest) => {
      const identity = await opts.auth.tryIdentify(req);
      return identity ? `user:${identity.userId}` : `ip:${req.ip}`;
    },
    errorResponseBuilder: (_req, context) =>
      AppError.tooMany(
        `rate limit exceeded, retry in ${context.after}`,
        Math.max(1, Math.ceil(context.ttl / 1000)),
      ),
  });
}
