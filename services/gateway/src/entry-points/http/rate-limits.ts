import rateLimit from "@fastify/rate-limit";
import { AppError, type Redis } from "@shop/platform";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Authenticator } from "./authenticate.js";

export interface RateLimitSettings {
  max: number;
  windowMs: number;
  /** Key prefix in Redis; gateways sharing it share the counters. */
  keyPrefix: string;
}

/**
 * One counter per client in Redis, shared by every gateway instance: the user id when the request
 * carries a valid token, else the client IP. Runs first (onRequest), so rejected and invalid
 * requests count too. The Redis client has no offline queue, so while Redis is down each check
 * fails at once and `skipOnError` lets the request through unlimited instead of failing it.
 * Must be registered before the routes it covers.
 */
export function registerRateLimits(
  app: FastifyInstance,
  opts: { redis: Redis; auth: Authenticator; settings: RateLimitSettings },
): void {
  app.register(rateLimit, {
    global: true,
    hook: "onRequest",
    max: opts.settings.max,
    timeWindow: opts.settings.windowMs,
    redis: opts.redis,
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
