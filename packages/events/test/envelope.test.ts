import { describe, expect, it } from "vitest";
import { topicName } from "../src/catalogue.js";
import {
  createEvent,
  decodeEvent,
  EventValidationError,
  ensureValidEvent,
  validateEvent,
} from "../src/envelope.js";

const created = () =>
  createEvent("OrderCreated", 42, {
    orderId: 42,
    userId: "u1",
    items: [{ productId: "p1", quantity: 2, unitPriceCents: 500 }],
    totalCents: 1000,
    currency: "USD",
  });

describe("event envelope", () => {
  it("when an event is created, then it has a uuid, the aggregate id as string and an ISO time", () => {
    const e = created();
    expect(e.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(e).toMatchObject({ type: "OrderCreated", version: 1, aggregateId: "42" });
    expect(new Date(e.occurredAt).toISOString()).toBe(e.occurredAt);
  });

  it("when a valid event goes through JSON, then it decodes to the same value", () => {
    const e = created();
    expect(decodeEvent(Buffer.from(JSON.stringify(e)))).toEqual(e);
  });

  it("when a payload breaks its schema on publish, then createEvent throws", () => {
    expect(() =>
      createEvent("OrderCreated", 1, { orderId: 1, userId: "u", items: [], totalCents: 0, currency: "USD" }),
    ).toThrow(EventValidationError);
    expect(() =>
      createEvent("OrderCancelled", 1, {
        orderId: 1,
        userId: "u",
        reason: "BORED" as "TIMEOUT",
        items: [],
        totalCents: 0,
        currency: "USD",
      }),
    ).toThrow(/reason/);
  });

  it("when an event made by createEvent is validated again, then it is taken as is, and it cannot be changed in between", () => {
    const e = created();
    expect(ensureValidEvent(e)).toBe(e);
    expect(() => {
      (e.payload as { totalCents: number }).totalCents = -1;
    }).toThrow(TypeError);
    expect(() => {
      e.payload.items[0]!.quantity = 0;
    }).toThrow(TypeError);
    // A copy is not the validated object: it is checked in full.
    const changed = { ...e, payload: { ...e.payload, items: [] } };
    expect(() => ensureValidEvent(changed)).toThrow(EventValidationError);
  });

  it("when a message is not JSON, has an unknown type, a bad id or extra fields, then it fails validation", () => {
    expect(() => decodeEvent(Buffer.from("{nope"))).toThrow(/not JSON/);
    expect(() => decodeEvent(null)).toThrow(EventValidationError);
    const e = created();
    expect(() => validateEvent({ ...e, type: "OrderExploded" })).toThrow(/envelope/);
    expect(() => validateEvent({ ...e, eventId: "not-a-uuid" })).toThrow(/envelope/);
    expect(() => validateEvent({ ...e, payload: { ...e.payload, extra: 1 } })).toThrow(/payload/);
    expect(() => validateEvent({ ...e, occurredAt: "yesterday" })).toThrow(EventValidationError);
    expect(() => validateEvent({ ...e, version: 2 })).toThrow(/version/);
  });

  it("when a prefix is given, then topic names carry it", () => {
    expect(topicName("orders")).toBe("shop.orders.v1");
    expect(topicName("orders", "t1.")).toBe("t1.shop.orders.v1");
  });
});
