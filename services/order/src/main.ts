import { catalogChangesChannel, createNearCache } from "@shop/events";
import { loadGrpcCredentials } from "@shop/grpc";
import { createTokenVerifier } from "@shop/identity";
import { createKafka } from "@shop/kafka";
import { createOutboxRelay, RELAY_POOL, relayOptions } from "@shop/outbox";
import { createRedis, loadConfig, openDatabase, runMain, startRuntime } from "@shop/platform";
import { buildGrpcServer, buildHttpApp, buildOrderDomain } from "./app.js";
import { configSpec } from "./config.js";
import { type CatalogProduct, createProductCatalog } from "./data-access/product-catalog.js";
import { createOrderEventsConsumer } from "./entry-points/kafka/order-events-consumer.js";
import { createStuckOrderSweeper } from "./entry-points/scheduler/stuck-order-sweeper.js";

runMain(async () => {
  const config = loadConfig(configSpec, process.env);
  const grpcCredentials = loadGrpcCredentials(config);
  const { logger, metrics, life } = startRuntime(config);

  // Clients first, so they are closed last.
  const sql = openDatabase(life, config);
  const relaySql = openDatabase(life, config, RELAY_POOL);
  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: config.serviceName, logger });
  const redis = life.add("redis", createRedis(config.redisUrl), (r) => r.quit());
  const prices =
    config.catalogCacheTtlMs > 0
      ? life.add(
          "catalog-cache",
          createNearCache<CatalogProduct>({
            redis,
            channel: catalogChangesChannel(config.productChangesChannel),
            ttlMs: config.catalogCacheTtlMs,
            maxEntries: config.catalogCacheMaxEntries,
            metricPrefix: "order",
            logger,
            metrics,
          }),
          async (c) => c.close(),
        )
      : undefined;
  const catalog = life.add(
    "product-client",
    createProductCatalog(config.productGrpc, {
      credentials: grpcCredentials.client("product"),
      deadlineMs: config.productTimeoutMs,
      ...(prices ? { cache: prices } : {}),
    }),
    async (c) => c.close(),
  );
  const verifier = createTokenVerifier({
    jwksUrl: config.authJwksUrl,
    cacheMaxAgeMs: config.accessTokenCacheMs,
  });
  const domain = buildOrderDomain({ logger, metrics, sql, catalog, topicPrefix: config.kafkaTopicPrefix });

  // Background work: the relay publishes what the others write, so it stops after them.
  const relay = createOutboxRelay({ sql: relaySql, kafka, logger, metrics, ...relayOptions(config) });
  life.add("outbox-relay", relay, (r) => r.stop());
  await relay.start();
  const consumer = life.add(
    "consumer",
    createOrderEventsConsumer({
      kafka,
      sql,
      registry: metrics,
      topicPrefix: config.kafkaTopicPrefix,
      saga: domain,
    }),
    (c) => c.stop(),
  );
  // The group join can take a whole session timeout (a crashed predecessor holds its partitions
  // until the broker expires it): take requests meanwhile, with /readyz reporting the consumer
  // until it has joined. The start is awaited after the intake opens.
  const consuming = consumer.start();
  consuming.catch(() => {});
  const sweeper = life.add(
    "stuck-order-sweeper",
    createStuckOrderSweeper(domain, {
      timeoutMs: config.sagaTimeoutMs,
      batchSize: config.sagaSweepBatchSize,
      intervalMs: config.sagaSweepIntervalMs,
    }),
    (s) => s.stop(),
  );
  sweeper.start();

  // Intake last, so it stops first.
  const grpcServer = buildGrpcServer({
    logger,
    metrics,
    sql,
    domain,
    verifier,
    credentials: grpcCredentials.server(config.grpcAllowedCallers),
  });
  await grpcServer.listen(config.grpcHost, config.grpcPort);
  life.add("grpc", grpcServer, (server) => server.shutdown(config.shutdownTimeoutMs));

  const http = buildHttpApp({ logger, metrics, sql, isConsuming: () => consumer.isReady() });
  await http.listen({ host: config.httpHost, port: config.httpPort });
  life.add("http", http, (app) => app.close());
  await consuming;

  logger.info({ httpPort: config.httpPort, grpcPort: config.grpcPort }, "started");
});
