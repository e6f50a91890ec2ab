import { createGrpcServer, type GrpcServer, type GrpcServerCredentials } from "@shop/grpc";
import type { TokenVerifier } from "@shop/identity";
import { createOutbox } from "@shop/outbox";
import { createHttpApp, type Logger, pingDb, type Registry, type Sql } from "@shop/platform";
import { createPaymentRepository } from "./data-access/payment-repository.js";
import { parseFailurePolicy } from "./domain/failure-policy.js";
import type { PaymentDeps } from "./domain/payment-deps.js";
import { createPaymentMetrics } from "./domain/payment-metrics.js";
import { addPaymentService } from "./entry-points/grpc/payment-grpc-service.js";

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

export interface PaymentDomainDeps extends AppDeps {
  topicPrefix: string;
  failureMode: string;
  latencyMs: number;
  random?: () => number;
}

/** Repository, outbox, policy and metrics wired once, shared by gRPC and the consumer. */
export function buildPaymentDomain(deps: PaymentDomainDeps): PaymentDeps {
  return {
    payments: createPaymentRepository(deps.sql),
    outbox: createOutbox({ topicPrefix: deps.topicPrefix }),
    logger: deps.logger,
    metrics: createPaymentMetrics(deps.metrics),
    policy: parseFailurePolicy(deps.failureMode),
    latencyMs: deps.latencyMs,
    ...(deps.random ? { random: deps.random } : {}),
  };
}

/** The gRPC server with PaymentService. Never listens. */
export function buildGrpcServer(
  deps: AppDeps & {
    domain: PaymentDeps;
    verifier: Pick<TokenVerifier, "verify">;
    credentials: GrpcServerCredentials;
  },
): GrpcServer {
  const server = createGrpcServer({
    logger: deps.logger,
    metrics: deps.metrics,
    credentials: deps.credentials,
  });
  addPaymentService(server, { payments: deps.domain.payments, verifier: deps.verifier });
  return server;
}
