import { loadGrpcCredentials } from "@shop/grpc";
import { createTokenVerifier } from "@shop/identity";
import { createKafka } from "@shop/kafka";
import { createOutbox, createOutboxRelay, RELAY_POOL, relayOptions } from "@shop/outbox";
import { createRedis, loadConfig, openDatabase, runMain, startRuntime } from "@shop/platform";
import { buildGrpcServer, buildHttpApp, buildOrderConsumer, buildProductDeps } from "./app.js";
import { configSpec } from "./config.js";

runMain(async () => {
  const config = loadConfig(configSpec, process.env);
  const grpcCredentials = loadGrpcCredentials(config);
  const { logger, metrics, life } = startRuntime(config);

  // Clients first, so they are closed last.
  const sql = openDatabase(life, config);
  const relaySql = openDatabase(life, config, RELAY_POOL);
  const redis = life.add("redis", createRedis(config.redisUrl), async (r) => r.disconnect());
  // An unreachable Redis is a degraded cache, not a failure: log the change of state (not every
  // reconnect attempt) and keep serving from PostgreSQL.
  let redisUp = true;
  redis.on("error", (err) => {
    if (redisUp) logger.warn({ err: String(err) }, "redis unavailable; reading from the database");
    redisUp = false;
  });
  redis.on("ready", () => {
    if (!redisUp) logger.info("redis available again");
    redisUp = true;
  });
  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: config.serviceName, logger });

  const deps = buildProductDeps({
    sql,
    redis,
    logger,
    metrics,
    outbox: createOutbox({ topicPrefix: config.kafkaTopicPrefix }),
    cache: {
      ttlSeconds: config.cacheTtlSeconds,
      fenceTtlSeconds: config.cacheFenceTtlSeconds,
      timeoutMs: config.cacheTimeoutMs,
      changesChannel: config.changesChannel,
    },
  });

  const relay = createOutboxRelay({ sql: relaySql, kafka, logger, metrics, ...relayOptions(config) });
  await relay.start();
  life.add("outbox-relay", relay, (r) => r.stop());

  const consumer = buildOrderConsumer(deps, { kafka, metrics, topicPrefix: config.kafkaTopicPrefix });
  life.add("consumer", consumer, (c) => c.stop());
  // The group join can take a whole session timeout (a crashed predecessor holds its partitions
  // until the broker expires it): take requests meanwhile, with /readyz reporting the consumer
  // until it has joined. The start is awaited after the intake opens.
  const consuming = consumer.start();
  consuming.catch(() => {});

  const verifier = createTokenVerifier({
    jwksUrl: config.authJwksUrl,
    cacheMaxAgeMs: config.accessTokenCacheMs,
  });
  const grpcServer = buildGrpcServer(deps, {
    verifier,
    metrics,
    credentials: grpcCredentials.server(config.grpcAllowedCallers),
  });
  await grpcServer.listen(config.grpcHost, config.grpcPort);
  life.add("grpc", grpcServer, (server) => server.shutdown(config.shutdownTimeoutMs));

  const http = buildHttpApp({
    logger,
    metrics,
    sql,
    readiness: {
      consumer: async () => {
        if (!consumer.isReady()) throw new Error("not in its group");
      },
    },
  });
  await http.listen({ host: config.httpHost, port: config.httpPort });
  life.add("http", http, (app) => app.close());
  await consuming;

  logger.info({ httpPort: config.httpPort, grpcPort: config.grpcPort }, "started");
});
