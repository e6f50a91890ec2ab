import { loadGrpcCredentials } from "@shop/grpc";
import { createTokenVerifier } from "@shop/identity";
import { createRedis, loadConfig, runMain, startRuntime } from "@shop/platform";
import { buildAdminApp, buildApp } from "./app.js";
import { configSpec } from "./config.js";
import { createDownstreamHealth } from "./data-access/downstreams.js";
import { closeDownstreamClients, createDownstreamClients } from "./data-access/grpc-clients.js";

runMain(async () => {
  const config = loadConfig(configSpec, process.env);
  const grpcCredentials = loadGrpcCredentials(config);
  const { logger, metrics, life } = startRuntime(config);

  // Created once; stopped in reverse order: HTTP intake first, then the clients it used.
  const redis = life.add("redis", createRedis(config.redisUrl), (r) => r.quit());
  const clients = life.add("downstreams", createDownstreamClients(config, grpcCredentials), async (c) =>
    closeDownstreamClients(c),
  );
  const health = life.add("downstream-health", createDownstreamHealth(config, grpcCredentials), async (h) => {
    for (const c of Object.values(h)) c.close();
  });
  const verifier = createTokenVerifier({
    jwksUrl: config.authJwksUrl,
    cacheMaxAgeMs: config.accessTokenCacheMs,
  });

  // The admin port closes after the public one, so a last scrape still sees the drain.
  const admin = buildAdminApp({ logger, metrics });
  await admin.listen({ host: config.adminHost, port: config.adminPort });
  life.add("admin-http", admin, (app) => app.close());
  logger.info({ host: config.adminHost, port: config.adminPort }, "gateway admin port listening");

  const http = buildApp({ config, logger, metrics, redis, verifier, clients, health });
  await http.listen({ host: config.httpHost, port: config.httpPort });
  life.add("http", http, (app) => app.close());
  logger.info({ port: config.httpPort }, "gateway listening");
});
