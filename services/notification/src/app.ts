import { createEventConsumer, type EventConsumer } from "@shop/consumer";
import { createGrpcServer, type GrpcServer, type GrpcServerCredentials, protos } from "@shop/grpc";
import { createOneTimeTokenSeal, type OneTimeTokenSeal, type TokenVerifier } from "@shop/identity";
import type { Kafka } from "@shop/kafka";
import { createHttpApp, type Logger, pingDb, type Registry, type Sql } from "@shop/platform";
import type { Config } from "./config.js";
import {
  createNotificationRepository,
  type NotificationRepository,
} from "./data-access/notification-repository.js";
import { createRecipientRepository, type RecipientRepository } from "./data-access/recipient-repository.js";
import { createDispatcher, type Dispatcher, type DispatchSettings } from "./domain/dispatch.js";
import type { RecordDeps } from "./domain/record-deps.js";
import { loadTemplates, type Templates } from "./domain/render-template.js";
import { createNotificationHandlers } from "./entry-points/grpc/notification-handlers.js";
import { CONSUMED_TOPICS, CONSUMER_GROUP, createEventHandlers } from "./entry-points/kafka/event-handlers.js";
import { createNotificationMetrics } from "./metrics.js";
import { createTransports } from "./transports/create-transports.js";
import type { Transports } from "./transports/transport.js";

export interface AppDeps {
  logger: Logger;
  metrics: Registry;
  sql: Sql;
  /** Ready once the consumer joined its group; omitted, readiness checks only PostgreSQL. */
  consumerReady?: () => boolean;
}

/** The HTTP app (health, readiness, metrics). Never listens: `main.ts` does. */
export function buildHttpApp(deps: AppDeps) {
  const consumerReady = deps.consumerReady;
  return createHttpApp({
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: {
      postgres: () => pingDb(deps.sql),
      ...(consumerReady
        ? {
            kafka: async () => {
              if (!consumerReady()) throw new Error("consumer not in its group");
            },
          }
        : {}),
    },
  });
}

export interface ServiceDeps extends AppDeps {
  /** Verifies the caller's token (createTokenVerifier; tests pass createTestIssuer's keys). */
  verifier: TokenVerifier;
  /** How gRPC callers are authenticated: `loadGrpcCredentials(config).server(allowedCallers)`. */
  grpcCredentials: GrpcServerCredentials;
  transports: Transports;
  dispatch: DispatchSettings;
  publicBaseUrl: string;
  /** Opens the one-time tokens that auth seals into its events (ONE_TIME_TOKEN_KEY). */
  oneTimeTokens: OneTimeTokenSeal;
  templates?: Templates;
}

/** The part of ServiceDeps that comes from the config: transports, dispatch settings, links. */
export function settingsFromConfig(
  config: Config,
  logger: Logger,
): Pick<ServiceDeps, "transports" | "dispatch" | "publicBaseUrl" | "oneTimeTokens"> {
  return {
    transports: createTransports(config, logger),
    publicBaseUrl: config.publicBaseUrl,
    oneTimeTokens: createOneTimeTokenSeal(config.oneTimeTokenKey),
    dispatch: {
      batchSize: config.dispatchBatchSize,
      maxAttempts: config.maxAttempts,
      retryBaseMs: config.retryBaseMs,
      retryMaxMs: config.retryMaxMs,
      pollIntervalMs: config.pollIntervalMs,
      // A claimed row must not be taken by another instance while its send may still be running.
      leaseMs: config.sendTimeoutMs * 2 + 30_000,
    },
  };
}

export interface NotificationService {
  grpc: GrpcServer;
  dispatcher: Dispatcher;
  eventHandlers: ReturnType<typeof createEventHandlers>;
  recordDeps: RecordDeps;
  notifications: NotificationRepository;
  recipients: RecipientRepository;
}

/**
 * The service's parts, sharing repositories and metrics: gRPC server (not listening), event
 * handlers for the consumer, and the dispatcher (not started). `main.ts` runs them.
 */
export function buildNotificationService(deps: ServiceDeps): NotificationService {
  const notifications = createNotificationRepository(deps.sql);
  const recipients = createRecipientRepository(deps.sql);
  const metrics = createNotificationMetrics(deps.metrics, () => notifications.countPending());

  const recordDeps: RecordDeps = {
    notifications,
    recipients,
    templates: deps.templates ?? loadTemplates(),
    telegramEnabled: deps.transports.telegram !== undefined,
    publicBaseUrl: deps.publicBaseUrl,
  };

  const grpc = createGrpcServer({
    logger: deps.logger,
    metrics: deps.metrics,
    credentials: deps.grpcCredentials,
  });
  grpc.addService(
    protos().notification.NotificationService.service,
    createNotificationHandlers({ verifier: deps.verifier, notifications, recipients }),
    "shop.notification.v1.NotificationService",
  );

  const dispatcher = createDispatcher({
    notifications,
    recipients,
    transports: deps.transports,
    logger: deps.logger,
    metrics,
    settings: deps.dispatch,
    oneTimeTokens: deps.oneTimeTokens,
  });

  return {
    grpc,
    dispatcher,
    eventHandlers: createEventHandlers(recordDeps),
    recordDeps,
    notifications,
    recipients,
  };
}

export interface ConsumerDeps {
  kafka: Kafka;
  sql: Sql;
  logger: Logger;
  metrics: Registry;
  topicPrefix: string;
  /** Handler retries before dead-lettering (the consumer's defaults when omitted). */
  maxAttempts?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** See `ConsumerOptions.fetchLingerMs`: the notifications are off the order's path. */
  fetchLingerMs?: number;
}

/** The Kafka consumer (group "notification", topics users and orders), not started. */
export function buildEventConsumer(service: NotificationService, deps: ConsumerDeps): EventConsumer {
  return createEventConsumer({
    ...deps,
    groupId: CONSUMER_GROUP,
    topics: [...CONSUMED_TOPICS],
    handlers: service.eventHandlers,
  });
}
