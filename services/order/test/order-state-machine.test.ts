import { describe, expect, it } from "vitest";
import { type OrderStatus, orderStatuses } from "../src/domain/order.js";
import { nextStatus, type OrderTrigger, orderTriggers } from "../src/domain/order-state-machine.js";

/** Every legal move; any (status, trigger) pair not listed must be rejected. */
const legal: Array<[OrderStatus, OrderTrigger, OrderStatus, string | null]> = [
  ["CREATED", "INVENTORY_RESERVED", "INVENTORY_RESERVED", null],
  ["CREATED", "INVENTORY_REJECTED", "CANCELLED", "OUT_OF_STOCK"],
  ["CREATED", "PAYMENT_SUCCEEDED", "PAID", null],
  ["CREATED", "PAYMENT_FAILED", "CANCELLED", "PAYMENT_FAILED"],
  ["CREATED", "TIMED_OUT", "CANCELLED", "TIMEOUT"],
  ["INVENTORY_RESERVED", "PAYMENT_SUCCEEDED", "PAID", null],
  ["INVENTORY_RESERVED", "PAYMENT_FAILED", "CANCELLED", "PAYMENT_FAILED"],
  ["INVENTORY_RESERVED", "TIMED_OUT", "CANCELLED", "TIMEOUT"],
];

const allPairs = orderStatuses.flatMap((s) => orderTriggers.map((t) => [s, t] as const));
const illegal = allPairs.filter(([s, t]) => !legal.some(([ls, lt]) => ls === s && lt === t));

describe("order state machine", () => {
  it.each(legal)("when %s receives %s, then it moves to %s (reason %s)", (from, trigger, to, reason) => {
    expect(nextStatus(from, trigger)).toEqual({ ok: true, from, to, cancelReason: reason });
  });

  it.each(illegal)("when %s receives %s, then the transition is rejected", (from, trigger) => {
    const result = nextStatus(from, trigger);
    expect(result.ok).toBe(false);
  });

  it.each(["PAID", "CANCELLED"] as const)("when an order is %s, then no trigger moves it", (terminal) => {
    for (const trigger of orderTriggers) {
      expect(nextStatus(terminal, trigger)).toEqual({ ok: false, from: terminal, rejected: "terminal" });
    }
  });

  it("when an in-flight order gets a repeated reservation, then it is rejected as not allowed", () => {
    expect(nextStatus("INVENTORY_RESERVED", "INVENTORY_RESERVED")).toEqual({
      ok: false,
      from: "INVENTORY_RESERVED",
      rejected: "not-allowed",
    });
  });

  it("when every pair is checked, then the table covers all 20 combinations", () => {
    expect(legal.length + illegal.length).toBe(orderStatuses.length * orderTriggers.length);
    expect(illegal.length).toBe(12);
  });
});
