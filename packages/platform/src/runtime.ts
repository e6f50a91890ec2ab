import type { Sql } from "./db.js";
import { createSql } from "./db.js";
import { createLifecycle, type Lifecycle } from "./lifecycle.js";
import { createLogger } from "./logger.js";
import { createMetricsRegistry } from "./metrics.js";
import { initTracing } from "./tracing.js";

export interface RuntimeConfig {
  serviceName: string;
  logLevel: string;
  shutdownTimeoutMs: number;
  otlpEndpoint: string;
}

/**
 * What every service's main starts with, in this order: logger, metrics, signal handling, and
 * tracing (started first, so it is flushed last on shutdown).
 */
export function startRuntime(config: RuntimeConfig) {
  const logger = createLogger({ service: config.serviceName, level: config.logLevel });
  const metrics = createMetricsRegistry(config.serviceName);
  const life = createLifecycle(logger, config.shutdownTimeoutMs);
  life.handleSignals();
  life.add(
    "tracing",
    initTracing({ serviceName: config.serviceName, otlpEndpoint: config.otlpEndpoint }),
    (t) => t.shutdown(),
  );
  return { logger, metrics, life };
}

/** The service's own database pool, closed after everything that uses it. */
export function openDatabase(
  life: Lifecycle,
  config: { databaseUrl: string; databasePoolMax: number; serviceName: string },
): Sql {
  return life.add(
    "postgres",
    createSql(config.databaseUrl, { max: config.databasePoolMax, applicationName: config.serviceName }),
    (s) => s.end({ timeout: 5 }),
  );
}
