import { createGrpcServer } from "@shop/grpc";
import {
  createLifecycle,
  createLogger,
  createMetricsRegistry,
  createSql,
  loadConfig,
  runMain,
} from "@shop/platform";
import { buildHttpApp } from "./app.js";
import { configSpec } from "./config.js";

runMain(async () => {
  const config = loadConfig(configSpec, process.env);
  const logger = createLogger({ service: config.serviceName, level: config.logLevel });
  const metrics = createMetricsRegistry(config.serviceName);
  const life = createLifecycle(logger, config.shutdownTimeoutMs);
  life.handleSignals();

  const sql = life.add(
    "postgres",
    createSql(config.databaseUrl, { max: config.databasePoolMax, applicationName: config.serviceName }),
    (s) => s.end({ timeout: 5 }),
  );

  const http = buildHttpApp({ logger, metrics, sql });
  await http.listen({ host: config.httpHost, port: config.httpPort });
  life.add("http", http, (app) => app.close());

  const grpcServer = createGrpcServer({ logger, metrics });
  await grpcServer.listen(config.grpcHost, config.grpcPort);
  life.add("grpc", grpcServer, (server) => server.shutdown(config.shutdownTimeoutMs));

  logger.info({ httpPort: config.httpPort, grpcPort: config.grpcPort }, "started");
});
