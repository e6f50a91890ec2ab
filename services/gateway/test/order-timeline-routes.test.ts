import { AppError } from "@shop/platform";
import { uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type TestGateway } from "./support/gateway.js";
import { type Stub, startStub } from "./support/stubs.js";

interface StubItem {
  eventId: string;
  type: string;
  service: string;
  at: string;
  traceId: string;
  compensation: boolean;
  reason: string;
}
interface StubTimeline {
  owner: string;
  status: string;
  items: StubItem[];
}

/** The order service's timelines; the stub answers the owner only, by the token it forwards. */
const timelines = new Map<number, StubTimeline>();
let nextId = 7000;
let gw: TestGateway;
let stub: Stub;
let base: string;
let alice: { id: string; bearer: string };
let mallory: { id: string; bearer: string };

function item(type: string, service: string, extra: Partial<StubItem> = {}): StubItem {
  return {
    eventId: uid(),
    type,
    service,
    at: new Date().toISOString(),
    traceId: "",
    compensation: false,
    reason: "",
    ...extra,
  };
}

function anOrder(status: string, items: StubItem[], owner = alice.bearer) {
  const id = nextId++;
  timelines.set(id, { owner, status, items });
  return id;
}

beforeAll(async () => {
  stub = await startStub({
    order: {
      GetOrderTimeline: async ({ orderId }: { orderId: number }, ctx) => {
        const t = timelines.get(orderId);
        if (!t || t.owner !== ctx.authorization) throw AppError.notFound(`order ${orderId} not found`);
        return { orderId, status: t.status, items: t.items };
      },
    },
  });
  gw = await startGateway({
    downstream: stub.address,
    env: {
      ORDER_STREAM_POLL_MS: "50",
      ORDER_STREAM_HEARTBEAT_MS: "100",
      ORDER_STREAM_MAX_MS: "1500",
      ORDER_STREAM_MAX_PER_USER: "2",
    },
  });
  alice = { id: `u-${uid()}`, bearer: "" };
  alice.bearer = await gw.bearer(alice.id);
  mallory = { id: `u-${uid()}`, bearer: "" };
  mallory.bearer = await gw.bearer(mallory.id);
  await gw.app.listen({ host: "127.0.0.1", port: 0 });
  const address = gw.app.server.address();
  base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});
afterAll(async () => {
  await gw?.close();
  await stub?.stop();
});

const paidSaga = () => [
  item("OrderCreated", "order"),
  item("InventoryReserved", "product"),
  item("PaymentProcessed", "payment"),
  item("OrderPaid", "order"),
];

describe("GET /api/v1/orders/{id}/timeline", () => {
  it("when the owner asks, then the items come in order with their emitters and compensations", async () => {
    const id = anOrder("CANCELLED", [
      item("OrderCreated", "order", { traceId: "4bf92f3577b34da6a3ce929d0e0e4736" }),
      item("PaymentFailed", "payment", { reason: "card declined" }),
      item("OrderCancelled", "order", { compensation: true, reason: "PAYMENT_FAILED" }),
    ]);
    const res = await gw.app.inject({
      url: `/api/v1/orders/${id}/timeline`,
      headers: { authorization: alice.bearer },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe("CANCELLED");
    expect(body.items).toEqual([
      expect.objectContaining({
        type: "OrderCreated",
        service: "order",
        compensation: false,
        reason: null,
        traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      }),
      expect.objectContaining({
        type: "PaymentFailed",
        service: "payment",
        compensation: false,
        reason: "card declined",
        traceId: null,
      }),
      expect.objectContaining({
        type: "OrderCancelled",
        service: "order",
        compensation: true,
        reason: "PAYMENT_FAILED",
      }),
    ]);
    expect(Date.parse(body.items[0].at)).not.toBeNaN();
  });

  it("when another user asks for the order, then it is 404 like an order that does not exist", async () => {
    const id = anOrder("PAID", paidSaga());
    const theirs = await gw.app.inject({
      url: `/api/v1/orders/${id}/timeline`,
      headers: { authorization: mallory.bearer },
    });
    const missing = await gw.app.inject({
      url: "/api/v1/orders/6999/timeline",
      headers: { authorization: mallory.bearer },
    });
    expect(theirs.statusCode).toBe(404);
    expect(missing.statusCode).toBe(404);
    expect(theirs.headers["content-type"]).toContain("application/problem+json");
  });

  it("when nobody is signed in, then it is 401 and the order service is not asked", async () => {
    const id = anOrder("PAID", paidSaga());
    const before = stub.count("GetOrderTimeline");
    for (const route of ["timeline", "stream"]) {
      const res = await gw.app.inject({ url: `/api/v1/orders/${id}/${route}` });
      expect(res.statusCode, route).toBe(401);
    }
    expect(stub.count("GetOrderTimeline")).toBe(before);
  });

  it.each([
    "1%00",
    "..%2F1",
    "%2e%2e%2f1",
    "-1",
    "0",
    "1e3",
    "abc",
    "99999999999999999999",
    "1%20",
    "%F0%9F%92%A5",
  ])(
    "when the id is %s, then it is 400 or 404, never a 5xx, and the order service is not asked",
    async (raw) => {
      const before = stub.count("GetOrderTimeline");
      for (const route of ["timeline", "stream"]) {
        const res = await gw.app.inject({
          url: `/api/v1/orders/${raw}/${route}`,
          headers: { authorization: alice.bearer },
        });
        expect([400, 404], `${route}: ${res.statusCode}`).toContain(res.statusCode);
      }
      expect(stub.count("GetOrderTimeline")).toBe(before);
    },
  );

  it("when a path walks up (../1), then it is 400 or 404, never a 5xx", async () => {
    for (const url of ["/api/v1/orders/../1/timeline", "/api/v1/orders/../../orders/1/stream"]) {
      const res = await gw.app.inject({ url, headers: { authorization: alice.bearer } });
      expect([400, 404]).toContain(res.statusCode);
    }
  });

  it("when the OpenAPI document is read, then both routes are there with their operation ids", async () => {
    const doc = (await gw.app.inject({ url: "/docs/json" })).json();
    const timeline = doc.paths["/api/v1/orders/{id}/timeline"].get;
    expect(timeline.operationId).toBe("getOrderTimeline");
    expect(timeline.responses["200"].content["application/json"].schema.properties.items).toBeDefined();
    const stream = doc.paths["/api/v1/orders/{id}/stream"].get;
    expect(stream.operationId).toBe("streamOrderTimeline");
    expect(stream.responses["200"].content["text/event-stream"]).toBeDefined();
    expect(stream.security).toEqual([{ bearerAuth: [] }]);
  });
});

/** An open event stream read as text over real HTTP. */
async function openStream(id: number, bearer = alice.bearer, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const res = await fetch(`${base}/api/v1/orders/${id}/stream`, {
    headers: { authorization: bearer, ...headers },
    signal: abort.signal,
  });
  let text = "";
  let ended = false;
  const done = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body) text += decoder.decode(chunk as Uint8Array, { stream: true });
    } catch {
      // aborted by the test
    }
    ended = true;
  })();
  return {
    res,
    text: () => text,
    ended: () => ended,
    done,
    close: () => abort.abort(),
    /** Waits until the text received so far satisfies `ok`. */
    async until(ok: (text: string) => boolean, timeoutMs = 3_000) {
      const start = Date.now();
      while (!ok(text)) {
        if (Date.now() - start > timeoutMs) throw new Error(`stream never matched; got:\n${text}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

/** The `event: saga` data of an SSE text. */
function sagaEvents(text: string) {
  return text
    .split("\n\n")
    .filter((block) => block.split("\n").includes("event: saga"))
    .map((block) =>
      JSON.parse(
        block
          .split("\n")
          .find((l) => l.startsWith("data: "))!
          .slice(6),
      ),
    );
}

describe("GET /api/v1/orders/{id}/stream", () => {
  it("when the saga goes on, then each new item is sent once as it happens and the stream ends at the terminal order", async () => {
    const items = paidSaga();
    const id = anOrder("CREATED", [items[0]!]);
    const stream = await openStream(id);
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get("content-type")).toContain("text/event-stream");
    await stream.until((t) => t.includes("OrderCreated"));

    timelines.get(id)!.items.push(items[1]!);
    await stream.until((t) => t.includes("InventoryReserved"));
    expect(stream.ended()).toBe(false);

    const t = timelines.get(id)!;
    t.items.push(items[2]!, items[3]!);
    t.status = "PAID";
    await stream.done;
    expect(sagaEvents(stream.text()).map((e) => [e.type, e.service])).toEqual([
      ["OrderCreated", "order"],
      ["InventoryReserved", "product"],
      ["PaymentProcessed", "payment"],
      ["OrderPaid", "order"],
    ]);
    expect(stream.text()).toContain(`id: ${items[3]!.eventId}\n`);
    expect(stream.text().trimEnd().endsWith('event: end\ndata: {"status":"PAID"}')).toBe(true);
  });

  it("when the order is already terminal, then every item is sent and the stream ends at once", async () => {
    const id = anOrder("PAID", paidSaga());
    const stream = await openStream(id);
    await stream.done;
    expect(sagaEvents(stream.text())).toHaveLength(4);
  });

  it("when the client reconnects with Last-Event-ID, then only later items are sent", async () => {
    const items = paidSaga();
    const id = anOrder("PAID", items);
    const stream = await openStream(id, alice.bearer, { "last-event-id": items[1]!.eventId });
    await stream.done;
    expect(sagaEvents(stream.text()).map((e) => e.type)).toEqual(["PaymentProcessed", "OrderPaid"]);
  });

  it("when another user opens the stream, then it is 404 before any streaming", async () => {
    const id = anOrder("CREATED", [item("OrderCreated", "order")]);
    const res = await fetch(`${base}/api/v1/orders/${id}/stream`, {
      headers: { authorization: mallory.bearer },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    await res.body?.cancel();
  });

  it("when the order stays in flight, then heartbeats keep it open until the longest duration, and then it closes", async () => {
    const id = anOrder("INVENTORY_RESERVED", [item("OrderCreated", "order")]);
    const stream = await openStream(id);
    await stream.until((t) => t.includes(": heartbeat\n\n"));
    await stream.done; // ORDER_STREAM_MAX_MS=1500
    expect(stream.text()).not.toContain("event: end");
  });

  it("when the client disconnects, then polling stops", async () => {
    const id = anOrder("CREATED", [item("OrderCreated", "order")]);
    const stream = await openStream(id);
    await stream.until((t) => t.includes("OrderCreated"));
    await new Promise((r) => setTimeout(r, 200));
    expect(stub.count("GetOrderTimeline")).toBeGreaterThan(0);
    stream.close();
    await stream.done;
    await new Promise((r) => setTimeout(r, 150));
    const after = stub.count("GetOrderTimeline");
    await new Promise((r) => setTimeout(r, 400));
    expect(stub.count("GetOrderTimeline")).toBe(after);
  });

  it("when a user holds the most streams allowed, then another is 429 until one closes", async () => {
    const id = anOrder("CREATED", [item("OrderCreated", "order")]);
    const first = await openStream(id);
    const second = await openStream(id);
    const third = await fetch(`${base}/api/v1/orders/${id}/stream`, {
      headers: { authorization: alice.bearer },
    });
    expect(third.status).toBe(429);
    await third.body?.cancel();
    // Another user is not limited by Alice's streams.
    const bobs = anOrder("PAID", paidSaga(), mallory.bearer);
    const bob = await openStream(bobs, mallory.bearer);
    expect(bob.res.status).toBe(200);
    await bob.done;

    first.close();
    await first.done;
    await new Promise((r) => setTimeout(r, 100));
    const again = await openStream(id);
    expect(again.res.status).toBe(200);
    second.close();
    again.close();
    await Promise.all([second.done, again.done]);
  });
});
