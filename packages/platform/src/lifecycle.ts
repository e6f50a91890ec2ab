import { ConfigError } from "./config.js";
import type { Logger } from "./logger.js";

export interface Stoppable {
  name: string;
  stop: () => Promise<unknown>;
}

/**
 * Collects what a service started, in order, and on SIGTERM/SIGINT stops it in reverse order:
 * intake first (HTTP, gRPC, consumers), then in-flight work, then clients.
 */
export function createLifecycle(logger: Logger, timeoutMs: number) {
  const started: Stoppable[] = [];
  let stopping: Promise<void> | undefined;

  async function stopAll(): Promise<void> {
    for (const item of [...started].reverse()) {
      try {
        await item.stop();
        logger.info({ component: item.name }, "stopped");
      } catch (err) {
        logger.error({ err, component: item.name }, "stop failed");
      }
    }
  }

  return {
    /** Registers something to stop at shutdown; returns it for chaining. */
    add<T>(name: string, value: T, stop: (value: T) => Promise<unknown>): T {
      started.push({ name, stop: () => stop(value) });
      return value;
    },
    stop(): Promise<void> {
      stopping ??= stopAll();
      return stopping;
    },
    /** Installs signal handlers that stop everything and exit. */
    handleSignals(): void {
      const onSignal = (signal: NodeJS.Signals) => {
        logger.info({ signal }, "shutting down");
        const timer = setTimeout(() => {
          logger.error({ timeoutMs }, "shutdown timed out");
          process.exit(1);
        }, timeoutMs);
        timer.unref();
        void this.stop().then(() => process.exit(0));
      };
      process.once("SIGTERM", onSignal);
      process.once("SIGINT", onSignal);
    },
  };
}

export type Lifecycle = ReturnType<typeof createLifecycle>;

/**
 * Runs a service's `main`. A bad configuration prints one line naming the variable and exits 1;
 * any other start failure is logged as JSON and exits 1.
 */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
    } else {
      process.stderr.write(`${JSON.stringify({ level: "fatal", msg: "start failed", err: String(err) })}\n`);
      if (err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    }
    process.exit(1);
  });
}
