import { type Stack, startStack } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// A stack of its own: this file stops services, which must not disturb the other files.
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    env: { CIRCUIT_BREAKER_HALF_OPEN_AFTER_MS: "1000", CIRCUIT_BREAKER_THRESHOLD: "3" },
  });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
}, 60_000);

async function call(method: string, path: string, opts: { token?: string; body?: unknown } = {}) {
  const res = await fetch(`${stack.gatewayUrl}${path}`, {
    method,
    headers: {
      ...(opts.body ? { "content-type": "application/json" } : {}),
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
    },
    body: opts.body ? JSON.stringify(opts.body) : undefined,
  });
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the assertions
  const body: any = await res.json().catch(() => undefined);
  return { status: res.status, body, headers: res.headers };
}

describe("the gateway when a real downstream service is down", () => {
  it("when the payment service is stopped, then orders still compose with payment marked unavailable; the product breaker opens fast and closes after recovery", async () => {
    const admin = (await call("POST", "/api/v1/auth/login", { body: stack.admin })).body.accessToken;
    const product = (
      await call("POST", "/api/v1/products", {
        token: admin,
        body: { sku: `sku-${stack.runId}`, name: "Kettle", priceCents: 2_000, stock: 5 },
      })
    ).body;
    const order = await call("POST", "/api/v1/orders", {
      token: admin,
      body: { items: [{ productId: product.id, quantity: 1 }] },
    });
    expect(order.status).toBe(202);

    await stack.service("payment").stop();
    const composed = await call("GET", `/api/v1/orders/${order.body.id}`, { token: admin });
    expect(composed.status).toBe(200);
    expect(composed.body).toMatchObject({ id: order.body.id, payment: null, unavailable: ["payment"] });
    expect(composed.body.items[0]).toMatchObject({ productId: product.id, name: "Kettle" });
    await stack.service("payment").start();

    await stack.service("product").stop();
    const failures: Awaited<ReturnType<typeof call>>[] = [];
    for (let i = 0; i < 4; i++) failures.push(await call("GET", `/api/v1/products/${product.id}`));
    expect(failures.every((r) => r.status === 503)).toBe(true);
    const started = Date.now();
    const open = await call("GET", `/api/v1/products/${product.id}`);
    expect(open.status).toBe(503);
    expect(open.body.code).toBe("CIRCUIT_OPEN");
    expect(open.headers.get("retry-after")).toEqual(expect.any(String));
    expect(Date.now() - started).toBeLessThan(200);
    const metrics = await (await fetch(`${stack.gatewayAdminUrl}/metrics`)).text();
    expect(metrics).toMatch(/gateway_circuit_state\{[^}]*service="product"[^}]*\} 1/);

    await stack.service("product").start();
    const deadline = Date.now() + 20_000;
    let back = await call("GET", `/api/v1/products/${product.id}`);
    while (back.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      back = await call("GET", `/api/v1/products/${product.id}`);
    }
    expect(back.status).toBe(200);
    const after = await (await fetch(`${stack.gatewayAdminUrl}/metrics`)).text();
    expect(after).toMatch(/gateway_circuit_state\{[^}]*service="product"[^}]*\} 0/);
  });
});
