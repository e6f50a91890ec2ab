import { once } from "node:events";
import { loadGrpcCredentials } from "@shop/grpc";
import { createTestIssuer, createTokenVerifier, type TokenVerifier } from "@shop/identity";
import { createLogger, createMetricsRegistry, createRedis, loadConfig } from "@shop/platform";
import { redisUrl, testTlsConfig, uid } from "@shop/testkit";
import { buildApp } from "../../src/app.js";
import { configSpec } from "../../src/config.js";
import { createDownstreamHealth } from "../../src/data-access/downstreams.js";
import { closeDownstreamClients, createDownstreamClients } from "../../src/data-access/grpc-clients.js";
import { STUB_NAME } from "./stubs.js";

/** The gateway's test certificate; every downstream is a stub with the stubs' certificate. */
function stubCredentials() {
  const tls = loadGrpcCredentials(testTlsConfig("gateway"));
  return { client: () => tls.client(STUB_NAME) };
}

export type TestIssuer = Awaited<ReturnType<typeof createTestIssuer>>;

export interface TestGatewayOptions {
  /** gRPC address every downstream resolves to (one stub serving them all), unless overridden in env. */
  downstream?: string;
  /** Extra environment, e.g. RATE_LIMIT_MAX. */
  env?: Record<string, string>;
  issuer?: TestIssuer;
  verifier?: TokenVerifier;
  /** Readiness checks the downstreams' gRPC health too. */
  withHealth?: boolean;
  /** Wait for Redis before serving (false to test a Redis outage). */
  waitForRedis?: boolean;
}

/**
 * The gateway in-process against stub downstreams, real Redis (with a key prefix of its own unless
 * given) and a token verifier over the test issuer's keys.
 */
export async function startGateway(opts: TestGatewayOptions = {}) {
  const address = opts.downstream ?? "127.0.0.1:1";
  const config = loadConfig(configSpec, {
    REDIS_URL: redisUrl(),
    LOG_LEVEL: "silent",
    DOWNSTREAM_TIMEOUT_MS: "500",
    DOWNSTREAM_RETRY_INITIAL_DELAY_MS: "5",
    DOWNSTREAM_RETRY_MAX_DELAY_MS: "20",
    RATE_LIMIT_KEY_PREFIX: `test:${uid()}:`,
    PRODUCT_CHANGES_CHANNEL: `test:${uid()}:product-changes`,
    AUTH_GRPC_ADDR: address,
    PRODUCT_GRPC_ADDR: address,
    ORDER_GRPC_ADDR: address,
    PAYMENT_GRPC_ADDR: address,
    NOTIFICATION_GRPC_ADDR: address,
    ...opts.env,
  });
  const issuer = opts.issuer ?? (await createTestIssuer());
  const redis = createRedis(config.redisUrl);
  redis.on("error", () => {});
  if (opts.waitForRedis !== false) await once(redis, "ready");
  const credentials = stubCredentials();
  const clients = createDownstreamClients(config, credentials);
  const health = opts.withHealth ? createDownstreamHealth(config, credentials) : undefined;
  const metrics = createMetricsRegistry("gateway");
  const app = buildApp({
    config,
    logger: createLogger({ service: "gateway", level: config.logLevel }),
    metrics,
    redis,
    verifier: opts.verifier ?? createTokenVerifier({ keys: issuer.keys }),
    clients,
    ...(health ? { health } : {}),
  });
  app.addHook("onClose", async () => {
    redis.disconnect();
    closeDownstreamClients(clients);
    for (const c of Object.values(health ?? {})) c.close();
  });
  await app.ready();
  return {
    app,
    config,
    issuer,
    metrics,
    /** An Authorization header for a user of that role. */
    bearer: (userId: string, role: "customer" | "admin" = "customer") => issuer.bearer(userId, role),
    close: () => app.close(),
  };
}

export type TestGateway = Awaited<ReturnType<typeof startGateway>>;
