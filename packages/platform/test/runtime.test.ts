import { afterAll, describe, expect, it } from "vitest";
import { createLifecycle } from "../src/lifecycle.js";
import { createLogger } from "../src/logger.js";
import { openDatabase } from "../src/runtime.js";

const server = process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432";
const life = createLifecycle(createLogger({ service: "runtime-test", level: "silent" }), 5_000);
const config = { databaseUrl: `${server}/postgres`, databasePoolMax: 1, serviceName: "runtime-test" };
afterAll(() => life.stop());

describe("openDatabase", () => {
  it("when a part asks for a pool of its own, then it is served while the service's pool is all taken, with its settings", async () => {
    const sql = openDatabase(life, config);
    const relaySql = openDatabase(life, config, {
      name: "outbox-relay",
      max: 2,
      settings: { plan_cache_mode: "force_custom_plan" },
    });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // The service's only connection stays in a transaction until released.
    const holding = sql.begin(async (tx) => {
      await tx`select 1`;
      await held;
    });
    try {
      const queued = sql`select 1 as n`;
      const [row] = await relaySql`
        select current_setting('application_name') as name, current_setting('plan_cache_mode') as plans
      `;
      expect(row).toEqual({ name: "runtime-test-outbox-relay", plans: "force_custom_plan" });
      let servedEarly = false;
      void queued.then(() => (servedEarly = true));
      await new Promise((r) => setImmediate(r));
      expect(servedEarly).toBe(false);
      release();
      await expect(queued).resolves.toEqual([{ n: 1 }]);
      const [own] = await sql`
        select current_setting('application_name') as name, current_setting('plan_cache_mode') as plans
      `;
      expect(own).toEqual({ name: "runtime-test", plans: "auto" });
    } finally {
      release();
      await holding;
    }
  });
});
