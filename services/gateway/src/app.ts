import { createHttpApp, type Logger, pingRedis, type Redis, type Registry } from "@shop/platform";
import type { createDownstreamHealth } from "./data-access/downstreams.js";

export interface AppDeps {
  logger: Logger;
  metrics: Registry;
  redis: Redis;
  health: ReturnType<typeof createDownstreamHealth>;
}

/** The public HTTP API. Never listens: `main.ts` does. */
export function buildHttpApp(deps: AppDeps) {
  const readiness: Record<string, () => Promise<unknown>> = { redis: () => pingRedis(deps.redis) };
  for (const [name, client] of Object.entries(deps.health)) {
    readiness[name] = () => client.Check({ service: "" });
  }
  return createHttpApp({ logger: deps.logger, metrics: deps.metrics, readiness });
}
