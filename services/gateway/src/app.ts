import { createNearCache } from "@shop/events";
import type { TokenVerifier } from "@shop/identity";
import { createHttpApp, type Logger, pingRedis, type Redis, type Registry } from "@shop/platform";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import type { Config } from "./config.js";
import type { DownstreamHealth } from "./data-access/downstreams.js";
import type { DownstreamClients } from "./data-access/grpc-clients.js";
import { createResilience } from "./data-access/resilience.js";
import { createOrderComposer } from "./domain/compose-order-views.js";
import { registerAdminRoutes, withholdMetrics } from "./entry-points/http/admin-routes.js";
import { authRoutes } from "./entry-points/http/auth-routes.js";
import { createAuthenticator } from "./entry-points/http/authenticate.js";
import { installControlCharacterCheck } from "./entry-points/http/control-characters.js";
import { registerDocs } from "./entry-points/http/docs.js";
import { routingOptions } from "./entry-points/http/framework-errors.js";
import { notificationRoutes } from "./entry-points/http/notification-routes.js";
import { orderRoutes } from "./entry-points/http/order-routes.js";
import { productRoutes } from "./entry-points/http/product-routes.js";
import { registerRateLimits } from "./entry-points/http/rate-limits.js";
import type { RouteDeps } from "./entry-points/http/route-deps.js";
import type { ProductView } from "./entry-points/http/schemas/product.js";
import { installTraceContext } from "./entry-points/http/trace-context.js";
import { typeboxValidatorCompiler } from "./entry-points/http/validator.js";
import { webRoutes } from "./entry-points/http/web-routes.js";

export interface AppDeps {
  config: Config;
  logger: Logger;
  metrics: Registry;
  redis: Redis;
  /** Verifies access tokens: `createTokenVerifier({ jwksUrl })` in production, `{ keys }` in tests. */
  verifier: TokenVerifier;
  /** Plain gRPC clients; the app wraps them in timeouts, retries and circuit breakers. */
  clients: DownstreamClients;
  /** gRPC health clients behind `/readyz`; none means readiness checks Redis only. */
  health?: DownstreamHealth;
}

/** How long start-up waits for the product near cache's subscription; a Redis outage must not block it. */
const CACHE_SUBSCRIBE_WAIT_MS = 2_000;

/** The public HTTP API. Never listens: `main.ts` does. Every dependency comes in from outside. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const { config } = deps;
  const readiness: Record<string, () => Promise<unknown>> = { redis: () => pingRedis(deps.redis) };
  for (const [name, client] of Object.entries(deps.health ?? {})) {
    readiness[name] = () => client.Check({ service: "" });
  }
  const app = createHttpApp({
    logger: deps.logger,
    metrics: deps.metrics,
    readiness,
    fastify: routingOptions(config.trustProxy),
  });
  app.setValidatorCompiler(typeboxValidatorCompiler);
  installTraceContext(app);
  withholdMetrics(app);
  installControlCharacterCheck(app);

  const resilience = createResilience(
    {
      timeoutMs: config.downstreamTimeoutMs,
      slowCallTimeoutMs: config.passwordCallTimeoutMs,
      retryMaxAttempts: config.retryMaxAttempts,
      retryInitialDelayMs: config.retryInitialDelayMs,
      retryMaxDelayMs: config.retryMaxDelayMs,
      breakerThreshold: config.breakerThreshold,
      breakerHalfOpenInitialMs: config.breakerHalfOpenInitialMs,
      breakerHalfOpenAfterMs: config.breakerHalfOpenAfterMs,
    },
    deps.metrics,
  );
  const clients: DownstreamClients = {
    auth: resilience.wrapClient("auth", deps.clients.auth),
    product: resilience.wrapClient("product", deps.clients.product),
    order: resilience.wrapClient("order", deps.clients.order),
    payment: resilience.wrapClient("payment", deps.clients.payment),
    notification: resilience.wrapClient("notification", deps.clients.notification),
  };
  const auth = createAuthenticator(deps.verifier);
  const productCache =
    config.productCacheTtlMs > 0
      ? createNearCache<ProductView>({
          redis: deps.redis,
          channel: config.productChangesChannel,
          ttlMs: config.productCacheTtlMs,
          maxEntries: config.productCacheMaxEntries,
          metricPrefix: "gateway",
          logger: deps.logger,
          metrics: deps.metrics,
        })
      : undefined;
  if (productCache) {
    app.addHook("onReady", () => productCache.ready(CACHE_SUBSCRIBE_WAIT_MS));
    app.addHook("onClose", async () => productCache.close());
  }
  const routeDeps: RouteDeps = {
    clients,
    auth,
    composer: createOrderComposer(clients),
    productCache,
    config,
  };

  // Docs and limits hook into route registration, so they go first.
  registerDocs(app);
  registerRateLimits(app, {
    redis: deps.redis,
    auth,
    settings: {
      max: config.rateLimitMax,
      windowMs: config.rateLimitWindowMs,
      keyPrefix: config.rateLimitKeyPrefix,
      redisTimeoutMs: config.rateLimitRedisTimeoutMs,
    },
  });
  app.register(authRoutes(routeDeps));
  app.register(productRoutes(routeDeps));
  app.register(orderRoutes(routeDeps));
  app.register(notificationRoutes(routeDeps));
  app.register(webRoutes(config.webRoot, deps.logger));
  return app;
}

/**
 * The internal admin port: `/metrics` (the same registry the public app fills) and `/healthz`,
 * nothing else. A plain Fastify: the shared app would register its request metrics a second time.
 * Never listens: `main.ts` binds it to GATEWAY_ADMIN_HOST:GATEWAY_ADMIN_PORT.
 */
export function buildAdminApp(deps: Pick<AppDeps, "logger" | "metrics">): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  registerAdminRoutes(app, deps.metrics);
  return app;
}
