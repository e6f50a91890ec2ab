import { createEventConsumer } from "@shop/consumer";
import { createGrpcServer, type GrpcServer, type GrpcServerCredentials } from "@shop/grpc";
import type { TokenVerifier } from "@shop/identity";
import type { Kafka } from "@shop/kafka";
import { createHttpApp, type Logger, pingDb, type Redis, type Registry, type Sql } from "@shop/platform";
import { createProductCache } from "./data-access/product-cache.js";
import { createProductRepository } from "./data-access/product-repository.js";
import { createReservationRepository } from "./data-access/reservation-repository.js";
import type { EventOutbox, ProductDeps } from "./domain/deps.js";
import {
  PRODUCT_SERVICE_NAME,
  productServiceDefinition,
  productServiceHandlers,
} from "./entry-points/grpc/product-service.js";
import { orderEventHandlers } from "./entry-points/kafka/order-events.js";

export interface AppDeps {
  logger: Logger;
  metrics: Registry;
  sql: Sql;
  /** Extra readiness checks (e.g. the consumer's group membership). */
  readiness?: Record<string, () => Promise<unknown>>;
}

/** The HTTP app (health, readiness, metrics). Never listens: `main.ts` does. */
export function buildHttpApp(deps: AppDeps) {
  return createHttpApp({
    logger: deps.logger,
    metrics: deps.metrics,
    // Redis is not a readiness condition: without it reads degrade to the database.
    readiness: { postgres: () => pingDb(deps.sql), ...deps.readiness },
  });
}

export interface ProductDepsOptions {
  sql: Sql;
  redis: Redis;
  logger: Logger;
  metrics: Registry;
  outbox: EventOutbox;
  cache: {
    ttlSeconds: number;
    fenceTtlSeconds: number;
    timeoutMs: number;
    keyPrefix?: string;
    changesChannel?: string;
  };
}

/** Repositories, cache and outbox wired together for the use cases. */
export function buildProductDeps(opts: ProductDepsOptions): ProductDeps {
  return {
    sql: opts.sql,
    products: createProductRepository(opts.sql),
    reservations: createReservationRepository(opts.sql),
    cache: createProductCache({
      redis: opts.redis,
      logger: opts.logger,
      metrics: opts.metrics,
      ...opts.cache,
    }),
    outbox: opts.outbox,
    logger: opts.logger,
  };
}

/** The gRPC server with ProductService registered. Never listens: `main.ts` (or a test) does. */
export function buildGrpcServer(
  deps: ProductDeps,
  opts: { verifier: TokenVerifier; metrics: Registry; credentials: GrpcServerCredentials },
): GrpcServer {
  const server = createGrpcServer({
    logger: deps.logger,
    metrics: opts.metrics,
    credentials: opts.credentials,
  });
  server.addService(
    productServiceDefinition(),
    productServiceHandlers({ ...deps, verifier: opts.verifier }),
    PRODUCT_SERVICE_NAME,
    // Descriptions are free text: tab and line feed pass, every other control is INVALID_ARGUMENT.
    { CreateProduct: ["description"], UpdateProduct: ["description"] },
  );
  return server;
}

export interface ConsumerOptions {
  kafka: Kafka;
  metrics: Registry;
  topicPrefix: string;
  groupId?: string;
}

/** The saga consumer: group "product" on the orders topic. */
export function buildOrderConsumer(deps: ProductDeps, opts: ConsumerOptions) {
  return createEventConsumer({
    kafka: opts.kafka,
    sql: deps.sql,
    logger: deps.logger,
    metrics: opts.metrics,
    groupId: opts.groupId ?? "product",
    topicPrefix: opts.topicPrefix,
    topics: ["orders"],
    handlers: orderEventHandlers(deps, opts.metrics),
    // Reservations lock hot product rows: one transaction per message keeps those locks short
    // and avoids deadlocks between batches that touch the same products in other orders.
    maxMessagesPerTransaction: 1,
  });
}
