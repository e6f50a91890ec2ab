import type { AuthContext } from "../domain/context.js";
import { purgeExpired } from "../domain/purge-expired.js";

/** Runs the purge now and then; several instances may run it at once (deletes are idempotent). */
export function startPurgeTimer(ctx: AuthContext, intervalMs: number) {
  const run = async () => {
    try {
      const purged = await purgeExpired(ctx);
      ctx.logger.info({ purged }, "purged expired auth rows");
    } catch (err) {
      ctx.logger.warn({ err }, "purging expired auth rows failed; retrying at the next interval");
    }
  };
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
    },
  };
}
