import { topicName } from "@shop/events";
import { eventually } from "@shop/testkit";
import { Partitioners } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents } from "../src/event-audit.js";
import { killServicesOnce, noFault, terminateDbConnections } from "../src/faults.js";
import { checkInvariants } from "../src/invariants.js";
import { summaryLine } from "../src/report.js";
import { openRig, type Rig } from "../src/rig.js";
import { type RunConfig, runScenario, type ScenarioReport } from "../src/run-scenario.js";
import { replayChangesNothing } from "../src/scenarios.js";
import { readToEnd } from "../src/topic-reader.js";

// `make chaos-quick`: a few short fault scenarios on one stack, every invariant checked after each.
// The full set at scale is `make chaos` (src/cli.ts).
let rig: Rig;
const cfg = (orders: number, ratePerSecond: number): RunConfig => ({
  orders,
  ratePerSecond,
  convergeTargetMs: 30_000,
  quietBoundMs: 60_000,
  seed: 7,
  onProgress: (line) => console.log(line),
});

function expectAllInvariants(report: ScenarioReport) {
  console.log(summaryLine(report));
  expect(report.checks.filter((c) => !c.ok)).toEqual([]);
  expect(report.ordersAccepted).toBeGreaterThan(0);
}

beforeAll(async () => {
  rig = await openRig({
    // Other packages' tests (the gateway's end-to-end stack among them) share the PostgreSQL server.
    env: { DATABASE_POOL_MAX: "3" },
    seed: { customers: 4, plentiful: 3, scarce: 2, scarceStock: 15 },
  });
}, 120_000);
afterAll(async () => {
  await rig?.close();
}, 60_000);

describe("the saga under faults", () => {
  it("when order and product are killed with SIGKILL under load and restarted, then every saga converges and every invariant holds", async () => {
    const report = await runScenario(
      rig,
      {
        name: "quick-kill-9",
        title: "kill -9 of order, then product",
        inject: killServicesOnce(["order", "product"], 2_000, 1_500),
      },
      cfg(100, 4),
    );
    expect(report.faultsInjected).toBe(2);
    expectAllInvariants(report);
  });

  it("when every database connection of the stack is terminated again and again under load, then every invariant holds", async () => {
    const report = await runScenario(
      rig,
      {
        name: "quick-pg-terminate",
        title: "PostgreSQL connections terminated",
        inject: terminateDbConnections([800, 1_500]),
      },
      cfg(30, 5),
    );
    expect(report.faultsInjected).toBeGreaterThan(1);
    expectAllInvariants(report);
  });

  it("when every saga topic is replayed from offset 0, then no row of the saga's state changes", async () => {
    const report = await runScenario(
      rig,
      {
        name: "quick-replay",
        title: "replay every saga topic",
        inject: noFault,
        afterQuiet: replayChangesNothing,
      },
      cfg(20, 10),
    );
    expect(report.checks.some((c) => c.name.startsWith("replaying every saga topic"))).toBe(true);
    expectAllInvariants(report);
  });

  it("when order is killed with SIGKILL, then its restart takes orders while its consumer still waits for the dead member's session to expire, and their sagas complete", async () => {
    const order = rig.stack.service("order");
    const readyz = async () => (await fetch(`http://127.0.0.1:${order.httpPort}/readyz`)).status;
    const customer = rig.shop.customers[0]!;
    const product = rig.shop.products.find((p) => !p.scarce)!;
    const { placed, readyBefore, readyAfter } = await rig.supervisor.expectDown("order", async () => {
      await order.stop("SIGKILL");
      // Listening, not ready: the killed member holds the group's partitions until the broker
      // expires its session, and the new member's join waits for that.
      await order.start({ until: "live" });
      const readyBefore = await readyz();
      const placed = await rig.api.placeOrder(customer.token, [{ productId: product.id, quantity: 1 }]);
      return { placed, readyBefore, readyAfter: await readyz() };
    });
    expect(readyBefore).toBe(503);
    expect(placed).toMatchObject({ status: 202 });
    expect(readyAfter).toBe(503);
    const id = (placed as { id: number }).id;
    const settled = await eventually(async () => {
      const res = await rig.api.call("GET", `/api/v1/orders/${id}`, { token: customer.token });
      return res.body?.status === "PAID" || res.body?.status === "CANCELLED" ? res.body.status : undefined;
    }, 60_000);
    expect(["PAID", "CANCELLED"]).toContain(settled);
    await eventually(async () => ((await readyz()) === 200 ? true : undefined), 30_000);
  });

  // Last, because it spoils the rig's state on purpose: the checks must see what they look for.
  it("when stock changes behind the saga's back and an event id comes back with other content, then the checks report both", async () => {
    const product = rig.shop.products[0]!;
    await rig.observer.db("product")`update products set stock = stock - 1 where id = ${product.id}`;
    const topic = topicName("orders", rig.topicPrefix);
    let original: { key: Buffer | null; value: Buffer | null } | undefined;
    await readToEnd(rig.observer.kafka, [topic], (_t, _p, m) => {
      original ??= { key: m.key, value: m.value };
    });
    const event = JSON.parse(String(original!.value));
    event.payload.totalCents += 1;
    const producer = rig.observer.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic, messages: [{ key: original!.key, value: JSON.stringify(event) }] });
    await producer.disconnect();

    const audit = await auditEvents(rig.observer);
    const checks = await checkInvariants({
      observer: rig.observer,
      api: rig.api,
      shop: rig.shop,
      audit,
      sampleOrders: [],
      idempotencyViolations: [],
      apiPatienceMs: 0,
    });
    const failed = checks.filter((c) => !c.ok).map((c) => c.name);
    expect(failed).toContain("initial = stock + reserved + sold, nothing left reserved");
    expect(failed).toContain("no event published twice with different content");
    expect(audit.conflictingCopies.join()).toContain(event.eventId);
  });
});
