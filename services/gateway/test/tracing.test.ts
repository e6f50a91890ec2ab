import { initTracing } from "@shop/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./support/gateway.js";
import { type Stub, startStub } from "./support/stubs.js";

// With the OpenTelemetry SDK on (as main.ts runs it), the gateway's spans serve the traceparent.
const tracing = initTracing({ serviceName: "gateway-test" });
let stub: Stub;
let gw: TestGateway;

beforeAll(async () => {
  stub = await startStub({ product: { ListProducts: async () => ({ items: [], nextCursor: "" }) } });
  gw = await startGateway({ downstream: stub.address });
});
afterAll(async () => {
  await gw.close();
  await stub.stop();
  await tracing.shutdown();
});

describe("tracing with the SDK active", () => {
  it("when a request comes with a traceparent, then the response and the downstream call continue that trace", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const res = await gw.app.inject({
      url: "/api/v1/products",
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const sent = stub.requests.ListProducts!.at(-1)!.ctx.metadata.get("traceparent")[0];
    expect(String(sent)).toContain(traceId);
  });

  it("when a request comes without one, then a new trace is started and named in the response", async () => {
    const res = await gw.app.inject({ url: "/api/v1/nowhere" });
    expect(res.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(String(res.headers.traceparent).slice(3, 35)).not.toBe("0".repeat(32));
  });
});
