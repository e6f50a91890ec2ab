import { createGrpcClient, loadGrpcCredentials, protos } from "@shop/grpc";
import { createTestIssuer, createTokenVerifier } from "@shop/identity";
import { createOutbox } from "@shop/outbox";
import {
  createLogger,
  createMetricsRegistry,
  createRedis,
  createSql,
  type Redis,
  type Sql,
} from "@shop/platform";
import { createTestDatabase, redisUrl, testTlsConfig, uid, uniqueTopicPrefix } from "@shop/testkit";
import { buildGrpcServer, buildProductDeps } from "../src/app.js";
import type { ProductDeps } from "../src/domain/deps.js";

export interface Harness {
  sql: Sql;
  redis: Redis;
  deps: ProductDeps;
  metrics: ReturnType<typeof createMetricsRegistry>;
  issuer: Awaited<ReturnType<typeof createTestIssuer>>;
  topicPrefix: string;
  /** Where this harness's catalog announces product changes. */
  changesChannel: string;
  client: ReturnType<typeof createProductClient>;
  adminAuth: string;
  customerAuth: string;
  close: () => Promise<void>;
}

function createProductClient(address: string) {
  return createGrpcClient(protos().product.ProductService, address, {
    credentials: loadGrpcCredentials(testTlsConfig("gateway")).client("product"),
  });
}

/**
 * The service in-process for one test file: its own database (cloned from the migrated
 * template), the shared Redis under a key prefix of its own, a test token issuer, and the gRPC
 * server on an ephemeral port.
 */
export async function startHarness(opts: { redisUrl?: string; poolMax?: number } = {}): Promise<Harness> {
  const db = await createTestDatabase("product");
  const sql = createSql(db.url, { max: opts.poolMax ?? 10 });
  const redis = createRedis(opts.redisUrl ?? redisUrl());
  redis.on("error", () => {});
  const logger = createLogger({ service: "product", level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const metrics = createMetricsRegistry("product");
  const topicPrefix = uniqueTopicPrefix();
  const changesChannel = `test:${uid()}:product-changes`;
  const deps = buildProductDeps({
    sql,
    redis,
    logger,
    metrics,
    outbox: createOutbox({ topicPrefix }),
    cache: {
      ttlSeconds: 60,
      fenceTtlSeconds: 30,
      timeoutMs: 500,
      keyPrefix: `test:${uid()}:product:`,
      changesChannel,
    },
  });
  const issuer = await createTestIssuer();
  const server = buildGrpcServer(deps, {
    verifier: createTokenVerifier({ keys: issuer.keys }),
    metrics,
    credentials: loadGrpcCredentials(testTlsConfig("product")).server(["gateway", "order"]),
  });
  const port = await server.listen("127.0.0.1", 0);
  const client = createProductClient(`127.0.0.1:${port}`);
  return {
    sql,
    redis,
    deps,
    metrics,
    issuer,
    topicPrefix,
    changesChannel,
    client,
    adminAuth: await issuer.bearer(`admin-${uid()}`, "admin"),
    customerAuth: await issuer.bearer(`customer-${uid()}`, "customer"),
    async close() {
      client.close();
      await server.shutdown(1_000);
      redis.disconnect();
      await sql.end({ timeout: 5 });
      await db.drop();
    },
  };
}

/** A valid new product with a unique SKU; override what the test is about. */
export function newProduct(overrides: Record<string, unknown> = {}) {
  const id = uid();
  return {
    sku: `SKU-${id}`,
    name: `Widget ${id}`,
    description: "A sturdy widget",
    priceCents: 1999,
    currency: "USD",
    stock: 10,
    ...overrides,
  };
}
