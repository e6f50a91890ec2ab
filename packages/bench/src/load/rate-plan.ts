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

/**
 * Walks the steps until one is not sustainable; returns the highest sustainable rate (0 when
 * even the first fails) and every attempt's verdict. A failed step is run again, up to `attempts`
 * runs in all, and the last run decides: on a shared machine one stall (another guest, a
 * collection in the broker) can break a p99 that the rate holds otherwise. Every attempt is
 * reported, a repeated one marked `retried`.
 */
export async function findSustainableRate<T extends StepOutcome>(
  steps: number[],
  runStep: (rate: number) => Promise<T>,
  limits: Limits = DEFAULT_LIMITS,
  attempts = 1,
): Promise<{ best: number; results: (T & { verdict: Verdict })[] }> {
  let best = 0;
  const results: (T & { verdict: Verdict })[] = [];
  for (const rate of steps) {
    let verdict: Verdict = { sustainable: false, reasons: [] };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const outcome = await runStep(rate);
      verdict = judgeStep(outcome, limits);
      const last = verdict.sustainable || attempt === attempts;
      results.push({ ...outcome, verdict: last ? verdict : { ...verdict, retried: true } });
      if (last) break;
    }
    if (!verdict.sustainable) break;
    best = rate;
  }
  return { best, results };
}
