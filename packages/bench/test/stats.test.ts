import { describe, expect, it } from "vitest";
import { LogHistogram } from "../src/stats/log-histogram.js";
import { percentile, summarise } from "../src/stats/percentiles.js";

describe("percentiles", () => {
  it("when asked for p50/p99 of 1..100, then nearest rank gives 50 and 99", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile(values, 0)).toBe(1);
  });

  it("when there are fewer samples than 1/(1-p), then p99 is the maximum", () => {
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
  });

  it("when there are no samples, then percentiles are NaN", () => {
    expect(percentile([], 50)).toBeNaN();
    expect(summarise([]).p99).toBeNaN();
  });

  it("when values come unsorted, then the summary sorts them first", () => {
    const s = summarise([30, 10, 20]);
    expect(s).toMatchObject({ count: 3, min: 10, p50: 20, max: 30, mean: 20 });
  });
});

describe("log histogram", () => {
  it("when samples are recorded, then each percentile is within one bucket above the exact one", () => {
    const h = new LogHistogram();
    const values = Array.from({ length: 10_000 }, (_, i) => 0.5 + (i % 1000) * 0.37);
    for (const v of values) h.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const p of [50, 95, 99, 100]) {
      const exact = percentile(sorted, p);
      expect(h.percentile(p)).toBeGreaterThanOrEqual(exact);
      expect(h.percentile(p)).toBeLessThanOrEqual(exact * LogHistogram.GROWTH * 1.0001);
    }
    expect(h.count).toBe(10_000);
  });

  it("when values exceed the range or are zero, then they land in the end buckets", () => {
    const h = new LogHistogram(1_000);
    h.record(0);
    h.record(5_000);
    expect(h.percentile(1)).toBeCloseTo(LogHistogram.FLOOR_MS);
    expect(h.percentile(100)).toBeGreaterThanOrEqual(1_000);
  });

  it("when reset, then it is empty again", () => {
    const h = new LogHistogram();
    h.record(3);
    h.reset();
    expect(h.count).toBe(0);
    expect(h.percentile(50)).toBeNaN();
  });
});
