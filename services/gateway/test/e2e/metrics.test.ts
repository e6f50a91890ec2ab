import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";
import { createProduct, placeOrder, settled, signUp } from "./client.js";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../../../../", import.meta.url));

describe("metrics behind the dashboards", () => {
  it("when every service is scraped, then every metric the Grafana dashboards and Prometheus rules use is exported", async () => {
    // Some activity first, so the saga's own series exist.
    const user = await signUp();
    const product = await createProduct(3);
    const order = await placeOrder(user.token, [{ productId: product.id, quantity: 1 }]);
    await settled(user.token, order.body.id);

    const { stdout } = await run("node", [`${repo}deploy/check-metrics.mjs`, "--families"]);
    const used = stdout.split("\n").filter(Boolean);
    expect(used.length).toBeGreaterThan(10);

    const exported = new Map<string, string[]>();
    for (const [service, port] of Object.entries(inject("servicePorts"))) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      for (const [, name] of text.matchAll(/^# TYPE (\S+) /gm)) {
        exported.set(name!, [...(exported.get(name!) ?? []), service]);
      }
    }
    const missing = used.filter((name) => !exported.has(name));
    expect(missing).toEqual([]);
    // Every service exposes the shared basics the "Service RED" dashboard is templated on.
    for (const name of ["http_request_duration_seconds", "process_resident_memory_bytes"]) {
      expect(exported.get(name)?.sort()).toEqual([
        "auth",
        "gateway",
        "notification",
        "order",
        "payment",
        "product",
      ]);
    }
    expect(exported.get("saga_orders_total")).toEqual(["order"]);
  });
});
