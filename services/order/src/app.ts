import { createGrpcServer, type GrpcServer, type GrpcServerCredentials } from "@shop/grpc";
import type { TokenVerifier } from "@shop/identity";
import { createOutbox } from "@shop/outbox";
import { createHttpApp, type Logger, pingDb, type Registry, type Sql } from "@shop/platform";
import { createIdempotencyRepository } from "./data-access/idempotency-repository.js";
import { createOrderRepository } from "./data-access/order-repository.js";
import type { ProductCatalog } from "./data-access/product-catalog.js";
import { createTimelineRepository } from "./data-access/timeline-repository.js";
import type { PlaceOrderDeps } from "./domain/place-order.js";
import type { SagaDeps } from "./domain/saga-deps.js";
import { createSagaMetrics } from "./domain/saga-metrics.js";
import { recordingSink } from "./domain/saga-timeline.js";
import { addOrderService, type OrderGrpcDeps } from "./entry-points/grpc/order-grpc-service.js";

export interface AppDeps {
  logger: Logger;
  metrics: Registry;
  sql: Sql;
  /** Whether the event consumer is in its group (readiness); absent in tests without Kafka. */
  isConsuming?: () => boolean;
}

/** The HTTP app (health, readiness, metrics). Never listens: `main.ts` does. */
export function buildHttpApp(deps: AppDeps) {
  return createHttpApp({
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: {
      postgres: () => pingDb(deps.sql),
      ...(deps.isConsuming ? { kafka: async () => assertConsuming(deps.isConsuming!) } : {}),
    },
  });
}

async function assertConsuming(isConsuming: () => boolean): Promise<void> {
  if (!isConsuming()) throw new Error("consumer not in its group");
}

export interface OrderDomainDeps extends AppDeps {
  catalog: ProductCatalog;
  topicPrefix: string;
}

/** Repositories, outbox and metrics wired once, shared by gRPC, the consumer and the sweeper. */
export function buildOrderDomain(deps: OrderDomainDeps): PlaceOrderDeps & SagaDeps & { sql: Sql } {
  const orders = createOrderRepository(deps.sql);
  const timeline = createTimelineRepository(deps.sql);
  return {
    sql: deps.sql,
    orders,
    timeline,
    idempotency: createIdempotencyRepository(deps.sql),
    catalog: deps.catalog,
    // Every event the order service emits lands on its order's timeline in the same transaction.
    outbox: recordingSink(createOutbox({ topicPrefix: deps.topicPrefix }), timeline),
    logger: deps.logger,
    metrics: createSagaMetrics(deps.metrics),
  };
}

/** The gRPC server with OrderService. Never listens. */
export function buildGrpcServer(
  deps: AppDeps & {
    domain: Omit<OrderGrpcDeps, "verifier">;
    verifier: Pick<TokenVerifier, "verify">;
    credentials: GrpcServerCredentials;
  },
): GrpcServer {
  const server = createGrpcServer({
    logger: deps.logger,
    metrics: deps.metrics,
    credentials: deps.credentials,
  });
  addOrderService(server, { ...deps.domain, verifier: deps.verifier });
  return server;
}
