import { loadGrpcCredentials } from "@shop/grpc";
import { createTokenVerifier } from "@shop/identity";
import { createKafka } from "@shop/kafka";
import { createOutboxRelay, RELAY_POOL, relayOptions } from "@shop/outbox";
import { loadConfig, openDatabase, runMain, startRuntime } from "@shop/platform";
import { buildGrpcServer, buildHttpApp, buildPaymentDomain } from "./app.js";
import { configSpec } from "./config.js";
import { createPaymentEventsConsumer } from "./entry-points/kafka/payment-events-consumer.js";

runMain(async () => {
  const config = loadConfig(configSpec, process.env);
  const grpcCredentials = loadGrpcCredentials(config);
  const { logger, metrics, life } = startRuntime(config);

  // Clients first, so they are closed last.
  const sql = openDatabase(life, config);
  const relaySql = openDatabase(life, config, RELAY_POOL);
  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: config.serviceName, logger });
  const verifier = createTokenVerifier({
    jwksUrl: config.authJwksUrl,
    cacheMaxAgeMs: config.accessTokenCacheMs,
  });
  const domain = buildPaymentDomain({
    logger,
    metrics,
    sql,
    topicPrefix: config.kafkaTopicPrefix,
    failureMode: config.paymentFailureMode,
    latencyMs: config.paymentLatencyMs,
  });

  // The relay publishes what the consumer writes, so it stops after it.
  const relay = createOutboxRelay({ sql: relaySql, kafka, logger, metrics, ...relayOptions(config) });
  life.add("outbox-relay", relay, (r) => r.stop());
  await relay.start();
  const consumer = life.add(
    "consumer",
    createPaymentEventsConsumer({
      kafka,
      sql,
      registry: metrics,
      topicPrefix: config.kafkaTopicPrefix,
      payment: domain,
      cancellationsLingerMs: config.cancellationsLingerMs,
    }),
    (c) => c.stop(),
  );
  // The group join can take a whole session timeout (a crashed predecessor holds its partitions
  // until the broker expires it): take requests meanwhile, with /readyz reporting the consumer
  // until it has joined. The start is awaited after the intake opens.
  const consuming = consumer.start();
  consuming.catch(() => {});

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

  logger.info(
    { httpPort: config.httpPort, grpcPort: config.grpcPort, failureMode: config.paymentFailureMode },
    "started",
  );
});
