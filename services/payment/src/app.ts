import { createHttpApp, type Logger, pingDb, type Registry, type Sql } from "@shop/platform";

export interface AppDeps {
  logger: Logger;
  metrics: Registry;
  sql: Sql;
}

/** The HTTP app (health, readiness, metrics). Never listens: `main.ts` does. */
export function buildHttpApp(deps: AppDeps) {
  return createHttpApp({
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: { postgres: () => pingDb(deps.sql) },
  });
}
