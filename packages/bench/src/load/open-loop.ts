import { LogHistogram } from "../stats/log-histogram.js";

export interface OpenLoopOptions {
  /** Arrivals per second. */
  rate: number;
  durationMs: number;
  /** Above this many outstanding requests, a due request is dropped (and counted) instead of sent. */
  maxOutstanding: number;
  /**
   * Sends one request. `scheduledAt` (performance.now() time) is when it was due: latency must
   * be measured from there, not from when it actually left, or a stalled generator would hide
   * the very queueing it caused (coordinated omission).
   */
  fire: (scheduledAt: number) => Promise<void>;
}

export interface OpenLoopResult {
  due: number;
  sent: number;
  dropped: number;
  startedAt: number;
  endedAt: number;
  /** How late requests left against their schedule: large values mean the generator itself lagged. */
  lateness: { p50: number; p99: number; max: number };
}

/**
 * Open-model load: requests are due on a fixed schedule (one every 1000/rate ms) and go out
 * whether or not earlier ones have answered, as independent users would send them. Resolves
 * when the schedule is over; requests still in flight keep running and are the caller's to await.
 */
export async function runOpenLoop(opts: OpenLoopOptions): Promise<OpenLoopResult> {
  const interval = 1000 / opts.rate;
  const total = Math.round((opts.rate * opts.durationMs) / 1000);
  const late = new LogHistogram();
  let maxLate = 0;
  let outstanding = 0;
  let sent = 0;
  let dropped = 0;
  let next = 0;
  const startedAt = performance.now();

  while (next < total) {
    const now = performance.now();
    const dueNow = Math.min(total, Math.floor((now - startedAt) / interval) + 1);
    for (; next < dueNow; next++) {
      const scheduledAt = startedAt + next * interval;
      if (outstanding >= opts.maxOutstanding) {
        dropped += 1;
        continue;
      }
      const lateBy = now - scheduledAt;
      late.record(lateBy);
      if (lateBy > maxLate) maxLate = lateBy;
      outstanding += 1;
      sent += 1;
      opts.fire(scheduledAt).finally(() => {
        outstanding -= 1;
      });
    }
    if (next >= total) break;
    const wait = startedAt + next * interval - performance.now();
    await new Promise((r) => setTimeout(r, Math.max(0, wait)));
  }
  return {
    due: total,
    sent,
    dropped,
    startedAt,
    endedAt: performance.now(),
    lateness: { p50: late.percentile(50), p99: late.percentile(99), max: maxLate },
  };
}
