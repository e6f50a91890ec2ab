import {
  createLifecycle,
  createLogger,
  createMetricsRegistry,
  createRedis,
  loadConfig,
  runMain,
} from "@shop/platform";
import { buildHttpApp } from "./app.js";
import { configSpec } from "./config.js";
import { createDownstreamHealth } from "./data-access/downstreams.js";

runMain(async () => {
  const config = loadConfig(configSpec, process.env);
  const logger = createLogger({ service: config.serviceName, level: config.logLevel });
  const metrics = createMetricsRegistry(config.serviceName);
  const life = createLifecycle(logger, config.shutdownTimeoutMs);
  life.handleSignals();

  const redis = life.add("redis", createRedis(config.redisUrl), (r) => r.quit());
  const health = life.add("downstreams", createDownstreamHealth(config), async (clients) => {
    for (const c of Object.values(clients)) c.close();
  });

  const http = buildHttpApp({ logger, metrics, redis, health });
  await http.listen({ host: config.httpHost, port: config.httpPort });
  life.add("http", http, (app) => app.close());
  logger.info({ port: config.httpPort }, "gateway listening");
});
