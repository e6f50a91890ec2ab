import { describe, expect, it } from "vitest";
import { AppError } from "../src/errors.js";
import { createHttpApp } from "../src/http.js";
import { createLogger } from "../src/logger.js";
import { createMetricsRegistry } from "../src/metrics.js";

function buildApp(ready = true) {
  const app = createHttpApp({
    logger: createLogger({ service: "t", level: "silent" }),
    metrics: createMetricsRegistry("t"),
    readiness: {
      db: async () => {
        if (!ready) throw new Error("connection refused");
      },
    },
  });
  app.post(
    "/echo",
    { schema: { body: { type: "object", required: ["n"], properties: { n: { type: "integer" } } } } },
    async (req) => req.body,
  );
  app.get("/conflict", async () => {
    throw AppError.conflict("sku taken", "DUPLICATE_SKU");
  });
  app.get("/crash", async () => {
    throw new Error("select * from secret_table failed");
  });
  return app;
}

describe("createHttpApp", () => {
  it("when probed, then healthz is 200 and readyz follows its checks", async () => {
    const ok = buildApp(true);
    expect((await ok.inject({ url: "/healthz" })).statusCode).toBe(200);
    expect((await ok.inject({ url: "/readyz" })).json()).toEqual({ status: "ready", checks: { db: "ok" } });
    const down = buildApp(false);
    const res = await down.inject({ url: "/readyz" });
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.db).toBe("connection refused");
  });

  it("when a request id is given, then it is echoed, else one is made", async () => {
    const app = buildApp();
    expect(
      (await app.inject({ url: "/healthz", headers: { "x-request-id": "abc-123" } })).headers["x-request-id"],
    ).toBe("abc-123");
    expect((await app.inject({ url: "/healthz" })).headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("when the body is malformed JSON, then 400 problem+json", async () => {
    const res = await buildApp().inject({
      method: "POST",
      url: "/echo",
      headers: { "content-type": "application/json" },
      payload: "{oops",
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    expect(res.json()).toMatchObject({ type: "about:blank", title: "Bad Request", status: 400 });
  });

  it("when the body fails the schema, then 400 with the failing path", async () => {
    const res = await buildApp().inject({ method: "POST", url: "/echo", payload: { n: "x" } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].path).toBe("/n");
  });

  it("when the body is over 1 MiB, then 413", async () => {
    const res = await buildApp().inject({
      method: "POST",
      url: "/echo",
      headers: { "content-type": "application/json" },
      payload: `{"n":1,"pad":"${"x".repeat(1024 * 1024)}"}`,
    });
    expect(res.statusCode).toBe(413);
  });

  it("when an AppError is thrown, then its status and code are in the problem", async () => {
    const res = await buildApp().inject({ url: "/conflict" });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ status: 409, detail: "sku taken", code: "DUPLICATE_SKU" });
  });

  it("when an unknown error is thrown, then 500 without internals", async () => {
    const res = await buildApp().inject({ url: "/crash" });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain("secret_table");
  });

  it("when the route is unknown, then 404 problem", async () => {
    const res = await buildApp().inject({ url: "/nope" });
    expect(res.statusCode).toBe(404);
    expect(res.headers["content-type"]).toContain("application/problem+json");
  });

  it("when scraped, then metrics include the HTTP histogram", async () => {
    const app = buildApp();
    await app.inject({ url: "/conflict" });
    const text = (await app.inject({ url: "/metrics" })).body;
    expect(text).toContain(
      'http_request_duration_seconds_count{service="t",method="GET",route="/conflict",status_code="409"} 1',
    );
  });
});
