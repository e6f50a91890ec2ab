/** What a saga step must meet to count as sustainable. */
export interface Limits {
  /** Highest acceptable p99 create-to-terminal latency. */
  p99Ms: number;
  /** Highest acceptable share of failed requests (HTTP errors, timeouts, drops) among those due. */
  maxErrorRatio: number;
  /** Completed sagas per second must reach this share of the arrival rate. */
  minCompletionRatio: number;
  /** Share of accepted orders still not terminal after the drain wait that counts as falling behind. */
  maxUnfinishedRatio: number;
}

export const DEFAULT_LIMITS: Limits = {
  p99Ms: 200,
  maxErrorRatio: 0.01,
  minCompletionRatio: 0.95,
  maxUnfinishedRatio: 0.01,
};

/** The figures of one step that decide whether its rate is sustainable. */
export interface StepOutcome {
  rate: number;
  /** Requests due by the schedule. */
  due: number;
  /** HTTP responses other than 2xx, transport errors and timeouts. */
  failed: number;
  /** Requests not sent because too many were outstanding. */
  dropped: number;
  accepted: number;
  /** Sagas that reached a terminal state inside the step's window, per second. */
  completedPerSecond: number;
  /** Accepted orders still not terminal when the drain wait ran out. */
  unfinished: number;
  p99Ms: number;
}

export interface Verdict {
  sustainable: boolean;
  /** Every limit the step broke, in words. */
  reasons: string[];
  /** This attempt failed and the same rate was run again; the later attempt decides. */
  retried?: boolean;
}

export function judgeStep(o: StepOutcome, limits: Limits = DEFAULT_LIMITS): Verdict {
  const reasons: string[] = [];
  const errorRatio = o.due > 0 ? (o.failed + o.dropped) / o.due : 0;
  if (!(o.p99Ms <= limits.p99Ms)) {
    reasons.push(`p99 ${Number.isFinite(o.p99Ms) ? o.p99Ms.toFixed(0) : "n/a"} ms > ${limits.p99Ms} ms`);
  }
  if (errorRatio > limits.maxErrorRatio) {
    reasons.push(
      `errors ${(errorRatio * 100).toFixed(2)}% > ${(limits.maxErrorRatio * 100).toFixed(0)}% (${o.failed} failed, ${o.dropped} dropped)`,
    );
  }
  if (o.completedPerSecond < o.rate * limits.minCompletionRatio) {
    reasons.push(`completed ${o.completedPerSecond.toFixed(0)}/s < ${o.rate}/s arrivals`);
  }
  if (o.accepted > 0 && o.unfinished / o.accepted > limits.maxUnfinishedRatio) {
    reasons.push(`${o.unfinished} of ${o.accepted} sagas unfinished after the drain wait`);
  }
  return { sustainable: reasons.length === 0, reasons };
}

/**
 * The rates to try, lowest first: the given list up to `max`; when the whole list is below `max`,
 * on past its end by the last step's increment, so a machine faster than the list still finds its limit.
 */
export function rateSteps(base: number[], max: number): number[] {
  const steps = [...base].filter((r) => r > 0 && r <= max).sort((a, b) => a - b);
  if (steps.length === 0 || steps.length < base.length) return steps;
  const last = steps[steps.length - 1]!;
  const increment = steps.length > 1 ? Math.max(1, last - steps[steps.length - 2]!) : last;
  for (let r = last + increment; r <= max; r += increment) steps.push(r);
  return steps;
}

/** A run's outcome with the verdict on it. */
export type Judged<T extends StepOutcome> = T & { verdict: Verdict };

/**
 * The rate halfway between one that held and one that did not, or undefined when they are close
 * enough already (a tenth of the lower one, at least 1/s apart).
 */
export function refinementRate(held: number, failed: number): number | undefined {
  if (failed - held <= Math.max(1, held * 0.1)) return undefined;
  return Math.round((held + failed) / 2);
}

/**
 * Walks the steps until one is not sustainable; returns the highest sustainable rate (0 when
 * even the first fails), every attempt's verdict, and the step that stopped the walk. A failed
 * step is run again, up to `attempts` runs in all, and the last run decides: on a shared machine
 * one stall (another guest, a collection in the broker) can break a p99 that the rate holds
 * otherwise. Every attempt is reported, a repeated one marked `retried`.
 *
 * The steps grow by a third or more near the top (75, 100/s), so the rate that held can be well
 * under the machine's limit. With `refine`, that many more rates are tried after the walk stopped,
 * each halfway between the highest that held and the lowest that did not (bisection), and the
 * highest that held counts.
 */
export async function findSustainableRate<T extends StepOutcome>(
  steps: number[],
  runStep: (rate: number) => Promise<T>,
  limits: Limits = DEFAULT_LIMITS,
  attempts = 1,
  refine = 0,
): Promise<{ best: number; results: Judged<T>[]; stoppedAt?: Judged<T> }> {
  const results: Judged<T>[] = [];
  async function tryRate(rate: number): Promise<Judged<T>> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await runStep(rate);
      const verdict = judgeStep(outcome, limits);
      const last = verdict.sustainable || attempt >= attempts;
      const result = { ...outcome, verdict: last ? verdict : { ...verdict, retried: true } };
      results.push(result);
      if (last) return result;
    }
  }

  let best = 0;
  let stoppedAt: Judged<T> | undefined;
  for (const rate of steps) {
    const result = await tryRate(rate);
    if (!result.verdict.sustainable) {
      stoppedAt = result;
      break;
    }
    best = rate;
  }
  let lowestFailed = stoppedAt?.rate;
  for (let round = 0; round < refine && best > 0 && lowestFailed !== undefined; round++) {
    const rate = refinementRate(best, lowestFailed);
    if (rate === undefined) break;
    if ((await tryRate(rate)).verdict.sustainable) best = rate;
    else lowestFailed = rate;
  }
  return { best, results, stoppedAt };
}

/**
 * The highest rate the steps held below `missed`, or undefined when they held none. Near the
 * limit a step's 20 s can pass a rate that a minute does not.
 */
export function fallbackRate(
  steps: { rate: number; verdict: Verdict }[],
  missed: number,
): number | undefined {
  const held = [...heldRates(steps)].filter((rate) => rate < missed);
  return held.length ? Math.max(...held) : undefined;
}

/** The rates some step held. */
export function heldRates(steps: { rate: number; verdict: Verdict }[]): Set<number> {
  return new Set(steps.filter((s) => s.verdict.sustainable).map((s) => s.rate));
}

/**
 * The rate of the next sustained run once every one so far (`missed`, in the order run) missed, or
 * undefined when the search is over. The steps' rates are far apart low down (10 and 25/s), so a
 * fall straight to the highest rate they held below could report a rate well under what a minute
 * holds. So first up to `refine` rates halfway between the lowest that missed and that held rate
 * (while they are far enough apart, as the steps' refinement), then the held rate itself, which
 * ends the search whatever it gives.
 */
export function nextSustainRate(
  steps: { rate: number; verdict: Verdict }[],
  missed: number[],
  refine: number,
): number | undefined {
  if (missed.length === 0) return undefined;
  const lowest = Math.min(...missed);
  const held = fallbackRate(steps, lowest);
  if (held === undefined) return undefined;
  const heldSteps = heldRates(steps);
  // The first run is at a rate the steps held; any later one at such a rate was the fallback.
  if (missed.slice(1).some((rate) => heldSteps.has(rate))) return undefined;
  const midpointsRun = missed.length - 1;
  return (midpointsRun < refine ? refinementRate(held, lowest) : undefined) ?? held;
}

/** True when a step fell short on latency alone: completions kept up with arrivals, without errors. */
export function onlyLatencyMissed(verdict: Verdict): boolean {
  return verdict.reasons.every((r) => r.startsWith("p99"));
}

/**
 * The highest rate whose deciding run kept up with its arrivals, latency not judged (0 when none
 * did): what the saga completes at all, for the capacity figure.
 */
export function keptUpRate(steps: { rate: number; verdict: Verdict }[]): number {
  const kept = steps.filter((s) => !s.verdict.retried && onlyLatencyMissed(s.verdict)).map((s) => s.rate);
  return kept.length ? Math.max(...kept) : 0;
}
