import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { createLifecycle } from "../src/lifecycle.js";
import { createLogger } from "../src/logger.js";
import { openDatabase, skipMaglev } from "../src/runtime.js";

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

describe("limitHeapGrowth", () => {
  // A fresh process each: V8's heap and flags belong to the process. About 20 MB stays alive while
  // short-lived batches die in the old generation, as a busy service's garbage does.
  const runtimeJs = fileURLToPath(new URL("../dist/runtime.js", import.meta.url));
  async function oldSpacePeakMb(percent: number): Promise<number> {
    const script = `
      import { getHeapSpaceStatistics } from "node:v8";
      import { limitHeapGrowth } from ${JSON.stringify(runtimeJs)};
      limitHeapGrowth(${percent});
      const live = Array.from({ length: 200000 }, (_, i) => ({ i, s: "live" + i }));
      const recent = [];
      let peak = 0;
      for (let r = 0; r < 300; r++) {
        recent[r % 8] = Array.from({ length: 20000 }, (_, i) => ({ i, s: "garbage" + i }));
        peak = Math.max(peak, getHeapSpaceStatistics().find((s) => s.space_name === "old_space").space_size);
      }
      console.log(live.length && peak / 2 ** 20);
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script]);
    return Number(stdout);
  }

  it("when the growth is limited, then the old generation peaks far below where V8's own factor lets it go", async () => {
    const own = await oldSpacePeakMb(0);
    const limited = await oldSpacePeakMb(50);
    expect(limited).toBeGreaterThan(20);
    expect(limited).toBeLessThan(own * 0.7);
    // Two processes of about a second each alone, several when the whole suite shares the cores.
  }, 60_000);
});

describe("skipMaglev", () => {
  it("turns V8's Maglev tier off", () => {
    const set: string[] = [];
    skipMaglev((flags) => set.push(flags));
    expect(set).toEqual(["--no-maglev"]);
  });

  it("names a flag this runtime's V8 knows (an unknown one only prints an error)", async () => {
    const runtimeJs = fileURLToPath(new URL("../dist/runtime.js", import.meta.url));
    const script = `
      import { skipMaglev } from ${JSON.stringify(runtimeJs)};
      skipMaglev();
      console.log("started");
    `;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [
      "--input-type=module",
      "-e",
      script,
    ]);
    expect(stdout.trim()).toBe("started");
    expect(stderr).toBe("");
  });
});
