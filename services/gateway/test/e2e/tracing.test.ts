import { describe, expect, inject, it } from "vitest";
import { call, createProduct, placeOrder, settled, signUp } from "./client.js";
import type { ReceivedSpan } from "./otlp-receiver.js";

async function spansOf(traceId: string): Promise<ReceivedSpan[]> {
  const res = await fetch(`${inject("otlpUrl")}/spans?traceId=${traceId}`);
  return (await res.json()) as ReceivedSpan[];
}

/** Waits until spans of every named service, with names matching, have arrived for the trace. */
async function waitForSpans(traceId: string, wanted: [service: string, name: RegExp][], timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const spans = await spansOf(traceId);
    const missing = wanted.filter(
      ([svc, name]) => !spans.some((s) => s.service === svc && name.test(s.name)),
    );
    if (missing.length === 0) return spans;
    if (Date.now() > deadline) {
      throw new Error(
        `trace ${traceId} lacks ${missing.map(([s, n]) => `${s} ${n}`).join(", ")}; has ${spans.map((s) => `${s.service}:${s.name}`).join(", ")}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("one trace per order", () => {
  it("when an order is placed, then every service that touched it reports spans under the trace of the HTTP request", async () => {
    const user = await signUp();
    const product = await createProduct(5);
    const res = await placeOrder(user.token, [{ productId: product.id, quantity: 1 }]);
    expect(res.status).toBe(202);
    const traceparent = res.headers.get("traceparent");
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    const traceId = traceparent!.split("-")[1]!;
    const done = await settled(user.token, res.body.id);

    const common: [string, RegExp][] = [
      ["gateway", /POST \/api\/v1\/orders/],
      ["order", /CreateOrder/],
      ["product", /consume OrderCreated/],
      ["order", /consume InventoryReserved/],
      ["payment", /consume InventoryReserved/],
    ];
    const outcome: [string, RegExp][] =
      done.status === "PAID"
        ? [
            ["order", /consume PaymentProcessed/],
            ["product", /consume OrderPaid/],
            ["notification", /consume OrderPaid/],
          ]
        : [
            ["order", /consume PaymentFailed/],
            ["product", /consume OrderCancelled/],
            ["notification", /consume OrderCancelled/],
          ];
    const spans = await waitForSpans(traceId, [...common, ...outcome]);
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([traceId]));

    const order = await call("GET", `/api/v1/orders/${res.body.id}`, { token: user.token });
    expect(order.body.traceId).toBe(traceId);
  });
});
