import { describe, expect, it } from "vitest";
import {
  fallbackRate,
  findSustainableRate,
  judgeStep,
  keptUpRate,
  nextSustainRate,
  onlyLatencyMissed,
  rateSteps,
  refinementRate,
  type StepOutcome,
  type Verdict,
} from "../src/load/rate-plan.js";
import type { BenchReport, StepReport } from "../src/report/report.js";
import { evaluateTargets } from "../src/report/targets.js";

function outcome(rate: number, over: Partial<StepOutcome> = {}): StepOutcome {
  return {
    rate,
    due: rate * 20,
    failed: 0,
    dropped: 0,
    accepted: rate * 20,
    completedPerSecond: rate,
    unfinished: 0,
    p99Ms: 50,
    ...over,
  };
}

describe("judging a step", () => {
  it("when every figure is within the limits, then the rate is sustainable", () => {
    expect(judgeStep(outcome(100))).toEqual({ sustainable: true, reasons: [] });
  });

  it("when p99 is above 200 ms, then it is not, and the reason says so", () => {
    const v = judgeStep(outcome(100, { p99Ms: 250 }));
    expect(v.sustainable).toBe(false);
    expect(v.reasons.join()).toMatch(/p99 250 ms > 200 ms/);
  });

  it("when no saga finished (p99 NaN), then it is not sustainable", () => {
    expect(judgeStep(outcome(100, { p99Ms: Number.NaN, completedPerSecond: 0 })).sustainable).toBe(false);
  });

  it("when failures and drops together pass 1% of the due requests, then it is not", () => {
    expect(judgeStep(outcome(100, { failed: 10, dropped: 11 })).sustainable).toBe(false);
    expect(judgeStep(outcome(100, { failed: 10, dropped: 10 })).sustainable).toBe(true);
  });

  it("when completions fall behind the arrival rate, then it is not", () => {
    expect(judgeStep(outcome(100, { completedPerSecond: 90 })).reasons.join()).toMatch(/completed 90\/s/);
    expect(judgeStep(outcome(100, { unfinished: 100 })).reasons.join()).toMatch(/unfinished/);
  });
});

describe("rate steps", () => {
  it("when the list ends below the maximum, then it continues by the last increment", () => {
    expect(rateSteps([50, 100, 200, 300, 500, 700], 1200)).toEqual([50, 100, 200, 300, 500, 700, 900, 1100]);
  });

  it("when the maximum is inside the list, then steps above it are left out", () => {
    expect(rateSteps([200, 50, 100], 150)).toEqual([50, 100]);
  });

  it("when stepping, then it stops at the first unsustainable rate and keeps the one before", async () => {
    const tried: number[] = [];
    const { best, results } = await findSustainableRate([50, 100, 200, 300], async (rate) => {
      tried.push(rate);
      return outcome(rate, { p99Ms: rate >= 200 ? 400 : 20 });
    });
    expect(best).toBe(100);
    expect(tried).toEqual([50, 100, 200]);
    expect(results.map((r) => r.verdict.sustainable)).toEqual([true, true, false]);
  });

  it("when a step fails once and passes when run again, then its rate counts and both attempts are reported", async () => {
    let runs = 0;
    const { best, results } = await findSustainableRate(
      [10, 25, 50],
      async (rate) => {
        runs += 1;
        // 10/s stalls on its first run; 50/s fails every time.
        return outcome(rate, { p99Ms: (rate === 10 && runs === 1) || rate === 50 ? 300 : 40 });
      },
      undefined,
      2,
    );
    expect(best).toBe(25);
    expect(results.map((r) => [r.rate, r.verdict.sustainable, r.verdict.retried ?? false])).toEqual([
      [10, false, true],
      [10, true, false],
      [25, true, false],
      [50, false, true],
      [50, false, false],
    ]);
  });

  it("when refining, then rates halfway between the last that held and the first that failed are tried", async () => {
    const tried: number[] = [];
    // The machine's limit lies at 90/s: 88 holds, 94 does not.
    const { best, results, stoppedAt } = await findSustainableRate(
      [50, 75, 100],
      async (rate) => {
        tried.push(rate);
        return outcome(rate, { p99Ms: rate > 90 ? 300 : 40 });
      },
      undefined,
      1,
      2,
    );
    expect(tried).toEqual([50, 75, 100, 88, 94]);
    expect(best).toBe(88);
    expect(stoppedAt?.rate).toBe(100);
    expect(results.map((r) => r.verdict.sustainable)).toEqual([true, true, false, true, false]);
  });

  it("when a refined rate fails, then the next one lies below it, and a failing one is run again", async () => {
    const tried: number[] = [];
    const { best } = await findSustainableRate(
      [50, 75, 100],
      async (rate) => {
        tried.push(rate);
        return outcome(rate, { p99Ms: rate > 80 ? 300 : 40 });
      },
      undefined,
      2,
      2,
    );
    expect(tried).toEqual([50, 75, 100, 100, 88, 88, 82, 82]);
    expect(best).toBe(75);
  });

  it("when the rates are close already or none held, then nothing is refined", async () => {
    expect(refinementRate(75, 100)).toBe(88);
    expect(refinementRate(100, 110)).toBeUndefined();
    const tried: number[] = [];
    await findSustainableRate(
      [10, 25],
      async (rate) => {
        tried.push(rate);
        return outcome(rate, { p99Ms: 300 });
      },
      undefined,
      1,
      2,
    );
    expect(tried).toEqual([10]);
  });

  it("when a sustained run missed, then the next one runs at the highest rate the steps held below it", () => {
    const ok = { sustainable: true, reasons: [] };
    const missed = { sustainable: false, reasons: ["p99 220 ms > 200 ms"] };
    const steps = [
      { rate: 50, verdict: ok },
      { rate: 75, verdict: ok },
      { rate: 100, verdict: missed },
      { rate: 88, verdict: ok },
      { rate: 94, verdict: missed },
    ];
    expect(fallbackRate(steps, 88)).toBe(75);
    expect(fallbackRate(steps, 50)).toBeUndefined();
    // Without midpoints, the fallback is the last run whatever it gives.
    expect(nextSustainRate(steps, [88], 0)).toBe(75);
    expect(nextSustainRate(steps, [88, 75], 0)).toBeUndefined();
    expect(nextSustainRate(steps, [50], 1)).toBeUndefined();
    expect(nextSustainRate(steps, [], 1)).toBeUndefined();
  });

  it("when a sustained run missed well above the next rate the steps held, then a rate halfway between runs first", () => {
    // The run of 2026-11-28: the steps held 10 and 25/s; the minute at 25/s missed.
    const ok = { sustainable: true, reasons: [] };
    const missed = { sustainable: false, reasons: ["p99 236 ms > 200 ms"] };
    const steps = [
      { rate: 10, verdict: ok },
      { rate: 25, verdict: ok },
      { rate: 35, verdict: missed },
      { rate: 30, verdict: missed },
    ];
    expect(nextSustainRate(steps, [25], 1)).toBe(18);
    // The midpoint missed too: then the rate the steps held, and that ends it.
    expect(nextSustainRate(steps, [25, 18], 1)).toBe(10);
    expect(nextSustainRate(steps, [25, 18, 10], 1)).toBeUndefined();
    // With two midpoints, the second is halfway below the first.
    expect(nextSustainRate(steps, [25, 18], 2)).toBe(14);
    expect(nextSustainRate(steps, [25, 18, 14], 2)).toBe(10);
    // Rates too close for a midpoint (75 and 82/s, under a tenth of 75 apart): straight to the held rate.
    expect(
      nextSustainRate(
        [
          { rate: 75, verdict: ok },
          { rate: 82, verdict: ok },
        ],
        [82],
        1,
      ),
    ).toBe(75);
  });

  it("when steps fell behind their arrivals, then the capacity is the highest rate that kept up, latency aside", () => {
    // The run of 2026-11-27: 100/s held on its second run; 200, 150 and 125/s all fell behind.
    const ok = { sustainable: true, reasons: [] };
    const slow = { sustainable: false, reasons: ["p99 242 ms > 200 ms"], retried: true };
    const behind = (rate: number, done: number) => ({
      sustainable: false,
      reasons: ["p99 3003 ms > 200 ms", `completed ${done}/s < ${rate}/s arrivals`],
    });
    const steps = [
      { rate: 75, verdict: ok },
      { rate: 100, verdict: slow },
      { rate: 100, verdict: ok },
      { rate: 200, verdict: behind(200, 105) },
      { rate: 150, verdict: behind(150, 111) },
      { rate: 125, verdict: behind(125, 113) },
    ];
    expect(onlyLatencyMissed(slow)).toBe(true);
    expect(onlyLatencyMissed(behind(200, 105))).toBe(false);
    expect(keptUpRate(steps)).toBe(100);
    // A rate that missed on latency alone kept up all the same.
    expect(
      keptUpRate([
        ...steps,
        { rate: 110, verdict: { sustainable: false, reasons: ["p99 400 ms > 200 ms"] } },
      ]),
    ).toBe(110);
    expect(keptUpRate([{ rate: 10, verdict: behind(10, 5) }])).toBe(0);
  });

  it("when even the first step fails, then the sustainable rate is 0", async () => {
    const { best } = await findSustainableRate([50], async (rate) => outcome(rate, { failed: 500 }));
    expect(best).toBe(0);
  });
});

describe("targets", () => {
  const step = (rate: number, verdict: Verdict, p99: number) =>
    ({
      ...outcome(rate),
      label: "step",
      paid: rate * 20,
      cancelled: 0,
      seconds: 20,
      paidLatencyMs: { p99 },
      verdict,
    }) as unknown as StepReport;
  const report = (sustained: StepReport, sustainableRate: number) =>
    ({
      machine: { atStart: { loadAverage: [1.5], cores: 2 }, loadAverageAtEnd: [1.8] },
      database: { sagasPerSecond: 100 },
      steps: [step(35, { sustainable: true, reasons: [] }, 150)],
      sustainableRate,
      sustained,
      capacity: undefined,
      readPath: undefined,
      rss: { idle: {}, sustained: undefined },
    }) as unknown as BenchReport;
  const shareOf = (r: BenchReport) =>
    evaluateTargets(r).find((t) => t.name === "share of the database ceiling")!;
  const throughputOf = (r: BenchReport) => evaluateTargets(r).find((t) => t.name === "saga throughput")!;

  it("when the steps held a rate but its sustained run did not, then the share says so, with the reason", () => {
    const failed = step(35, { sustainable: false, reasons: ["p99 354 ms > 200 ms"] }, 354);
    const share = shareOf(report(failed, 35));
    expect(share.met).toBe(false);
    expect(share.result).toContain(
      "0% sustainable (the steps held 35/s, its sustained run did not: p99 354 ms > 200 ms)",
    );
  });

  it("when a sustained run missed and the one at a lower rate held, then both targets say so", () => {
    const missed = step(88, { sustainable: false, reasons: ["p99 264 ms > 200 ms"] }, 264);
    const held = step(75, { sustainable: true, reasons: [] }, 180);
    const r = { ...report(held, 88), sustainedMisses: [missed] } as BenchReport;
    expect(shareOf(r).result).toBe("75% (75 of 100 sagas/s)");
    expect(evaluateTargets(r).find((t) => t.name === "saga throughput")!.result).toContain(
      "(a sustained run before it missed: 88/s, p99 264 ms > 200 ms)",
    );
    const both = { ...r, sustained: step(75, { sustainable: false, reasons: ["p99 230 ms > 200 ms"] }, 230) };
    expect(shareOf(both as BenchReport).result).toContain(
      "the steps held 88/s, sustained runs at 88 and 75/s did not: p99 230 ms > 200 ms",
    );
    // An older report kept its one missed run under another name.
    const older = { ...report(held, 88), sustainedMissed: missed } as BenchReport;
    expect(throughputOf(older).result).toContain(
      "(a sustained run before it missed: 88/s, p99 264 ms > 200 ms)",
    );
  });

  it("when two sustained runs missed before one held, then the targets name both", () => {
    const first = step(25, { sustainable: false, reasons: ["p99 236 ms > 200 ms"] }, 236);
    const midway = step(18, { sustainable: false, reasons: ["p99 204 ms > 200 ms"] }, 204);
    const held = step(10, { sustainable: true, reasons: [] }, 114);
    const r = { ...report(held, 25), sustainedMisses: [first, midway] } as BenchReport;
    expect(throughputOf(r).result).toContain(
      "(sustained runs before it missed: 25/s, p99 236 ms > 200 ms; 18/s, p99 204 ms > 200 ms)",
    );
    const none = { ...r, sustained: step(10, { sustainable: false, reasons: ["p99 210 ms > 200 ms"] }, 210) };
    expect(shareOf(none as BenchReport).result).toContain("sustained runs at 25, 18 and 10/s did not");
  });

  it("when no step held, then the share says that no rate met the step limits", () => {
    const failed = step(10, { sustainable: false, reasons: ["p99 300 ms > 200 ms"] }, 300);
    expect(shareOf(report(failed, 0)).result).toContain("0% sustainable (no rate met the step limits)");
  });

  it("when the database ceiling is under 500/s, then the throughput target names it as the first limit", () => {
    const held = step(35, { sustainable: true, reasons: [] }, 150);
    const target = throughputOf(report(held, 35));
    expect(target.met).toBe(false);
    expect(target.limitedBy).toMatch(/^PostgreSQL alone, .* reached 100 sagas\/s .*below 500\/s; every step/);
  });

  it("when the database ceiling is above 500/s, then the throughput target does not blame it", () => {
    const held = step(35, { sustainable: true, reasons: [] }, 150);
    const r = { ...report(held, 35), database: { sagasPerSecond: 800 } } as unknown as BenchReport;
    expect(throughputOf(r).limitedBy).toMatch(/^every step up to 35\/s passed/);
  });

  it("when the sustained run held, then the share is its completed rate over the ceiling", () => {
    const held = step(35, { sustainable: true, reasons: [] }, 150);
    const share = shareOf(report(held, 35));
    expect(share.result).toBe("35% (35 of 100 sagas/s)");
    expect(share.met).toBe(false);
  });

  it("when the sustained run held and the saga kept up with more without the p99 limit, then the share gives both", () => {
    const held = step(18, { sustainable: true, reasons: [] }, 139);
    const r = { ...report(held, 22), capacity: { rate: 50, steps: [] } } as unknown as BenchReport;
    expect(shareOf(r).result).toBe(
      "18% (18 of 100 sagas/s); with p99 ignored the saga kept up with 50/s = 50% of 100 sagas/s",
    );
    // Met or missed is the sustained rate's alone.
    expect(shareOf(r).met).toBe(false);
  });
});
