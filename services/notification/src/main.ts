import { loadGrpcCredentials } from "@shop/grpc";
import { createTokenVerifier, decodeOneTimeTokenKey } from "@shop/identity";
import { createKafka } from "@shop/kafka";
import { loadConfig, openDatabase, runMain, startRuntime } from "@shop/platform";
import { buildEventConsumer, buildHttpApp, buildNotificationService, settingsFromConfig } from "./app.js";
import { configSpec } from "./config.js";

runMain(async () => {
  const config = loadConfig(configSpec, process.env);
  // Before anything starts: a missing or bad key stops the process naming the variable.
  decodeOneTimeTokenKey(config.oneTimeTokenKey);
  const grpcCredentials = loadGrpcCredentials(config);
  const { logger, metrics, life } = startRuntime(config);

  const settings = settingsFromConfig(config, logger);
  const { transports } = settings;
  logger.info(
    { email: transports.email.name, telegram: transports.telegram?.name ?? "off" },
    "notification transports",
  );
  life.add("transports", transports, async (t) => {
    t.email.close?.();
    t.telegram?.close?.();
  });

  const sql = openDatabase(life, config);

  const service = buildNotificationService({
    logger,
    metrics,
    sql,
    verifier: createTokenVerifier({ jwksUrl: config.authJwksUrl, cacheMaxAgeMs: config.accessTokenCacheMs }),
    grpcCredentials: grpcCredentials.server(config.grpcAllowedCallers),
    ...settings,
  });

  // Stopped after the intake (reverse order): the send in flight finishes and is recorded.
  const dispatcher = life.add("dispatcher", service.dispatcher, (d) => d.stop());
  const unlisten = await service.notifications.onPending(() => dispatcher.wake());
  life.add("listen", unlisten, (stop) => stop());
  dispatcher.start();

  const kafka = createKafka({ brokers: config.kafkaBrokers, clientId: config.serviceName, logger });
  const consumer = buildEventConsumer(service, {
    kafka,
    sql,
    logger,
    metrics,
    topicPrefix: config.kafkaTopicPrefix,
    fetchLingerMs: config.consumerLingerMs,
  });
  life.add("consumer", consumer, (c) => c.stop());
  // The group join can take a whole session timeout (a crashed predecessor holds its partitions
  // until the broker expires it): take requests meanwhile, with /readyz reporting the consumer
  // until it has joined. The start is awaited after the intake opens.
  const consuming = consumer.start();
  consuming.catch(() => {});

  const http = buildHttpApp({ logger, metrics, sql, consumerReady: () => consumer.isReady() });
  await http.listen({ host: config.httpHost, port: config.httpPort });
  life.add("http", http, (app) => app.close());

  await service.grpc.listen(config.grpcHost, config.grpcPort);
  life.add("grpc", service.grpc, (server) => server.shutdown(config.shutdownTimeoutMs));
  await consuming;

  logger.info({ httpPort: config.httpPort, grpcPort: config.grpcPort }, "started");
});
