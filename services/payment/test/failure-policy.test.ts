import { loadConfig } from "@shop/platform";
import { describe, expect, it } from "vitest";
import { configSpec } from "../src/config.js";
import { chargeFails, parseFailurePolicy } from "../src/domain/failure-policy.js";

describe("payment failure mode", () => {
  it("when PAYMENT_FAILURE_MODE is unset, then the mode is even-order-id: even ids fail, odd ids succeed", () => {
    const config = loadConfig(configSpec, {});
    expect(config.paymentFailureMode).toBe("even-order-id");
    const policy = parseFailurePolicy(config.paymentFailureMode);
    expect(chargeFails(policy, 2)).toBe(true);
    expect(chargeFails(policy, 1000)).toBe(true);
    expect(chargeFails(policy, 1)).toBe(false);
    expect(chargeFails(policy, 999)).toBe(false);
  });

  it("when the mode is none, then no charge fails", () => {
    const policy = parseFailurePolicy(
      loadConfig(configSpec, { PAYMENT_FAILURE_MODE: "none" }).paymentFailureMode,
    );
    for (let id = 1; id <= 20; id++) expect(chargeFails(policy, id, () => 0)).toBe(false);
  });

  it("when the mode is random:0.5, then it parses and a charge fails exactly when the draw is below p", () => {
    const config = loadConfig(configSpec, { PAYMENT_FAILURE_MODE: "random:0.5" });
    const policy = parseFailurePolicy(config.paymentFailureMode);
    expect(policy).toEqual({ mode: "random", probability: 0.5 });
    expect(chargeFails(policy, 1, () => 0.49)).toBe(true);
    expect(chargeFails(policy, 1, () => 0.5)).toBe(false);
    expect(parseFailurePolicy("random:0")).toEqual({ mode: "random", probability: 0 });
    expect(parseFailurePolicy("random:1")).toEqual({ mode: "random", probability: 1 });
  });

  it.each(["random:2", "random:-0.1", "random:", "random:abc", "odd", "EVEN-ORDER-ID"])(
    "when PAYMENT_FAILURE_MODE is %s, then loading the config fails naming the variable",
    (value) => {
      expect(() => loadConfig(configSpec, { PAYMENT_FAILURE_MODE: value })).toThrow(
        /PAYMENT_FAILURE_MODE must be even-order-id, none or random:<p>/,
      );
    },
  );

  it("when PAYMENT_LATENCY_MS is not a non-negative integer, then loading the config names it", () => {
    expect(() => loadConfig(configSpec, { PAYMENT_LATENCY_MS: "-5" })).toThrow(/PAYMENT_LATENCY_MS/);
    expect(loadConfig(configSpec, { PAYMENT_LATENCY_MS: "25" }).paymentLatencyMs).toBe(25);
  });
});
