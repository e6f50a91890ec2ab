import { createLogger, createMetricsRegistry, createSql, loadConfig } from "@shop/platform";
import { createTestDatabase, type TestDatabase } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildHttpApp } from "../src/app.js";
import { configSpec } from "../src/config.js";

let db: TestDatabase;
let sql: ReturnType<typeof createSql>;

beforeAll(async () => {
  db = await createTestDatabase("notification");
  sql = createSql(db.url, { max: 2 });
});
afterAll(async () => {
  await sql.end({ timeout: 5 });
  await db.drop();
});

describe("notification service", () => {
  it("when its database answers, then readyz is 200 and metrics are exposed", async () => {
    const app = buildHttpApp({
      logger: createLogger({ service: "notification", level: "silent" }),
      metrics: createMetricsRegistry("notification"),
      sql,
    });
    expect((await app.inject({ url: "/readyz" })).statusCode).toBe(200);
    expect((await app.inject({ url: "/metrics" })).body).toContain("process_cpu_user_seconds_total");
    await app.close();
  });

  it("when the database is unreachable, then readyz is 503", async () => {
    const dead = createSql("postgres://postgres@127.0.0.1:1/none", { max: 1 });
    const app = buildHttpApp({
      logger: createLogger({ service: "notification", level: "silent" }),
      metrics: createMetricsRegistry("notification"),
      sql: dead,
    });
    expect((await app.inject({ url: "/readyz" })).statusCode).toBe(503);
    await app.close();
    await dead.end({ timeout: 1 });
  });

  it("when a setting is malformed, then loading the config names the variable", () => {
    expect(() => loadConfig(configSpec, { DATABASE_URL: "nonsense" })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig(configSpec, { GRPC_PORT: "abc" })).toThrow(/GRPC_PORT must be an integer/);
  });
});
