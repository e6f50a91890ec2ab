import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { describe, expect, it } from "vitest";
import { createHttpApp } from "../src/http.js";
import { createLogger } from "../src/logger.js";
import { createMetricsRegistry } from "../src/metrics.js";
import { initTracing, trace, withSpan } from "../src/tracing.js";

const exporter = new InMemorySpanExporter();
initTracing({ serviceName: "t", exporter });

describe("tracing over HTTP", () => {
  it("when a request carries a traceparent, then the handler runs in a child span and the response names it", async () => {
    const app = createHttpApp({
      logger: createLogger({ service: "t", level: "silent" }),
      metrics: createMetricsRegistry("t"),
    });
    let seenTraceId: string | undefined;
    app.get("/x", async () => {
      await new Promise((r) => setTimeout(r, 5));
      seenTraceId = trace.getActiveSpan()?.spanContext().traceId;
      return { ok: true };
    });
    const incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const res = await app.inject({ url: "/x", headers: { traceparent: incoming } });
    expect(seenTraceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(res.headers.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    const span = exporter.getFinishedSpans().find((s) => s.name === "GET /x");
    expect(span?.parentSpanContext?.spanId).toBe("00f067aa0ba902b7");
    expect(span?.attributes["http.response.status_code"]).toBe(200);
  });

  it("when a request has no trace context, then a new trace starts and every response carries it", async () => {
    const app = createHttpApp({
      logger: createLogger({ service: "t", level: "silent" }),
      metrics: createMetricsRegistry("t"),
    });
    const ok = await app.inject({ url: "/healthz" });
    const missing = await app.inject({ url: "/nope" });
    expect(ok.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(missing.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });
});

describe("trace ids in logs", () => {
  it("when a line is logged inside a span, then it carries that span's trace and span ids", async () => {
    const lines: string[] = [];
    const logger = createLogger({
      service: "t",
      level: "info",
      destination: { write: (l: string) => lines.push(l) },
    });
    const ids = await withSpan("work", {}, async (span) => {
      logger.info({ orderId: 7 }, "reserved");
      return span.spanContext();
    });
    logger.info("outside");
    const [inside, outside] = lines.map((l) => JSON.parse(l));
    expect(inside).toMatchObject({
      trace_id: ids.traceId,
      span_id: ids.spanId,
      orderId: 7,
      msg: "reserved",
      service: "t",
    });
    expect(outside.trace_id).toBeUndefined();
  });
});
