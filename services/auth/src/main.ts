import { topicName } from "@shop/events";
import { loadGrpcCredentials } from "@shop/grpc";
import { decodeOneTimeTokenKey } from "@shop/identity";
import { createKafka, ensureTopics } from "@shop/kafka";
import { createOutbox, createOutboxRelay, RELAY_POOL, relayOptions } from "@shop/outbox";
import { openDatabase, runMain, startRuntime } from "@shop/platform";
import { buildGrpcServer, buildHttpApp, createAuthContext } from "./app.js";
import { loadAuthConfig } from "./config.js";
import { bootstrapAdmin } from "./domain/bootstrap-admin.js";
import { startPurgeTimer } from "./entry-points/purge-timer.js";

runMain(async () => {
  const config = loadAuthConfig(process.env);
  // Checked here, not in loadAuthConfig: the key-rotation tool loads the same config without it.
  decodeOneTimeTokenKey(config.oneTimeTokenKey);
  const grpcCredentials = loadGrpcCredentials(config);
  const { logger, metrics, life } = startRuntime(config);

  const sql = openDatabase(life, config);
  const relaySql = openDatabase(life, config, RELAY_POOL);
  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: config.serviceName, logger });

  const auth = createAuthContext({
    sql,
    logger,
    metrics,
    outbox: createOutbox({ topicPrefix: config.kafkaTopicPrefix }),
    config,
  });
  if (!config.keyEncryptionSecret) {
    logger.warn("ALLOW_PLAINTEXT_KEYS: signing private keys are stored unencrypted (development only)");
  }
  await auth.keys.ensureKey();
  await auth.passwords.prepare();
  if (config.adminEmail) {
    await bootstrapAdmin(auth, { email: config.adminEmail, password: config.adminPassword });
  }

  // Events wait safely in the outbox while Kafka is away, so a broker outage must not stop the start.
  await ensureTopics(kafka, [{ topic: topicName("users", config.kafkaTopicPrefix) }]).catch((err: unknown) =>
    logger.warn({ err }, "could not ensure the users topic; the relay keeps retrying"),
  );
  const relay = createOutboxRelay({
    sql: relaySql,
    kafka,
    logger,
    metrics,
    ...relayOptions(config),
    // Published rows still hold sealed one-time tokens: keep them minutes, not the default days.
    retentionMs: config.outboxPublishedRetentionSeconds * 1000,
    cleanupIntervalMs: Math.min(60_000, Math.max(1_000, config.outboxPublishedRetentionSeconds * 1000)),
  });
  await relay.start();
  life.add("outbox-relay", relay, (r) => r.stop());

  life.add("purge-timer", startPurgeTimer(auth, config.purgeIntervalMinutes * 60_000), (t) => t.stop());

  const http = buildHttpApp({ logger, metrics, sql, auth });
  const httpAddress = await http.listen({ host: config.httpHost, port: config.httpPort });
  life.add("http", http, (app) => app.close());

  const grpcServer = buildGrpcServer({
    logger,
    metrics,
    auth,
    credentials: grpcCredentials.server(config.grpcAllowedCallers),
  });
  const grpcPort = await grpcServer.listen(config.grpcHost, config.grpcPort);
  life.add("grpc", grpcServer, (server) => server.shutdown(config.shutdownTimeoutMs));

  // The bound addresses, which differ from the configured ones when port 0 was asked for.
  logger.info({ httpAddress, grpcPort }, "started");
});
