import { setFlagsFromString } from "node:v8";
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
  heapGrowthPercent: number;
}

/**
 * What every service's main starts with, in this order: logger, metrics, signal handling, and
 * tracing (started first, so it is flushed last on shutdown).
 */
export function startRuntime(config: RuntimeConfig) {
  limitHeapGrowth(config.heapGrowthPercent);
  skipMaglev();
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

/**
 * After a full collection V8 lets the old generation grow to up to four times what survived
 * before it collects again. A service keeps about 30 MB alive, so its heap ran up to 100 MB of
 * garbage (RSS 165-205 MB in the benchmark's first minute at 10 sagas/s) before the next full
 * collection; at 1.5 times it peaks near 50 MB, for a few more collections of a small heap.
 * V8 reads the factor whenever it sets the next limit, so setting it at start takes effect.
 */
export function limitHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}

/**
 * Newer Node releases than 20 let V8 compile warm functions with Maglev, a tier between its
 * baseline compiler and TurboFan (Node 20 leaves it off). On Node 24, the image's runtime, it
 * cost every service about 20 MB of RSS in the benchmark (order 165 MB with it, 143 without, at
 * 50 sagas/s, all of it outside the JS heap) and saved no CPU once the stack was warm (19.0 ms
 * of machine CPU per saga at 100/s with it, 17.6-19.5 without); without it only a fresh process's
 * first 15 s or so run slower, until TurboFan has the hot paths. Turned off at start, before any
 * of the service's code is warm. `set` is V8's own (tests pass a recorder).
 */
export function skipMaglev(set: (flags: string) => void = setFlagsFromString): void {
  set("--no-maglev");
}

/**
 * The service's own database pool, closed after everything that uses it (open it before them).
 *
 * With `part`, a small pool of its own for one background part, such as the outbox relay: on the
 * shared pool the relay queued for a connection behind the requests whose events it publishes,
 * so it waited longest just when the most events were pending (the outbox benchmark: p99
 * commit-to-consumed halved at 1,000 events/s). Its connections carry the part's name in
 * `application_name`, and its `settings` are set on each of them.
 */
export function openDatabase(
  life: Lifecycle,
  config: { databaseUrl: string; databasePoolMax: number; serviceName: string },
  part?: { name: string; max: number; settings?: Record<string, string> },
): Sql {
  const name = part ? `${config.serviceName}-${part.name}` : config.serviceName;
  const max = part?.max ?? config.databasePoolMax;
  return life.add(
    part ? `postgres (${part.name})` : "postgres",
    createSql(config.databaseUrl, {
      max,
      applicationName: name,
      ...(part?.settings && { settings: part.settings }),
    }),
    (s) => s.end({ timeout: 5 }),
  );
}
