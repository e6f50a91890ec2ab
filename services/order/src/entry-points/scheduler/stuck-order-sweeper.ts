import type { Logger, Sql } from "@shop/platform";
import { cancelStuckOrders, type SweepOptions } from "../../domain/cancel-stuck-orders.js";
import type { SagaDeps } from "../../domain/saga-deps.js";

/**
 * Runs the stuck-saga sweep every `intervalMs`. A full batch is followed at once by another, so
 * a backlog drains quickly. `stop()` waits for the sweep in progress.
 */
export function createStuckOrderSweeper(
  deps: SagaDeps & { sql: Sql; logger: Logger },
  opts: SweepOptions & { intervalMs: number },
) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;

  async function sweep(): Promise<void> {
    try {
      while (!stopped) {
        const cancelled = await cancelStuckOrders(deps, opts);
        if (cancelled.length < opts.batchSize) break;
      }
    } catch (err) {
      deps.logger.error({ err }, "stuck order sweep failed");
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = sweep().finally(schedule);
    }, opts.intervalMs);
  }

  return {
    start(): void {
      stopped = false;
      schedule();
    },
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
