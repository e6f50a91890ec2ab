import { createTokenVerifier } from "@shop/identity";
import { createKafka } from "@shop/kafka";
import { createOutboxRelay } from "@shop/outbox";
import {
  createLifecycle,
  createLogger,
  createMetricsRegistry,
  createSql,
  initTracing,
  loadConfig,
  runMain,
} from "@shop/platform";
import { buildGrpcServer, buildHttpApp, buildPaymentDomain } from "./app.js";
import { configSpec } from "./config.js";
import { createPaymentEventsConsumer } from "./entry-points/kafka/payment-events-consumer.js";

runMain(async () => {
  const config = loadConfig(configSpec, process.env);
  const logger = createLogger({ service: config.serviceName, level: config.logLevel });
  const metrics = createMetricsRegistry(config.serviceName);
  const life = createLifecycle(logger, config.shutdownTimeoutMs);
  life.handleSignals();
  life.add(
    "tracing",
    initTracing({ serviceName: config.serviceName, otlpEndpoint: config.otlpEndpoint }),
    (t) => t.shutdown(),
  );

  // Clients first, so they are closed last.
  const sql = life.add(
    "postgres",
    createSql(config.databaseUrl, { max: config.databasePoolMax, applicationName: config.serviceName }),
    (s) => s.end({ timeout: 5 }),
  );
  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: config.serviceName, logger });
  const verifier = createTokenVerifier({ jwksUrl: config.authJwksUrl });
  const domain = buildPaymentDomain({
    logger,
    metrics,
    sql,
    topicPrefix: config.kafkaTopicPrefix,
    failureMode: config.paymentFailureMode,
    latencyMs: config.paymentLatencyMs,
  });

  // The relay publishes what the consumer writes, so it stops after it.
  const relay = life.add("outbox-relay", createOutboxRelay({ sql, kafka, logger, metrics }), (r) => r.stop());
  await relay.start();
  const consumer = life.add(
    "consumer",
    createPaymentEventsConsumer({
      kafka,
      sql,
      registry: metrics,
      topicPrefix: config.kafkaTopicPrefix,
      payment: domain,
    }),
    (c) => c.stop(),
  );
  await consumer.start();

  // Intake last, so it stops first.
  const grpcServer = buildGrpcServer({ logger, metrics, sql, domain, verifier });
  await grpcServer.listen(config.grpcHost, config.grpcPort);
  life.add("grpc", grpcServer, (server) => server.shutdown(config.shutdownTimeoutMs));

  const http = buildHttpApp({ logger, metrics, sql, isConsuming: () => consumer.isReady() });
  await http.listen({ host: config.httpHost, port: config.httpPort });
  life.add("http", http, (app) => app.close());

  logger.info(
    { httpPort: config.httpPort, grpcPort: config.grpcPort, failureMode: config.paymentFailureMode },
    "started",
  );
});
