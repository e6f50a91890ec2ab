import { type LatencySummary, summarise } from "../stats/percentiles.js";

export interface ClosedLoopResult {
  connections: number;
  seconds: number;
  requests: number;
  errors: number;
  perSecond: number;
  latencyMs: LatencySummary;
}

/**
 * Closed-model maximum throughput: `connections` workers, each sending its next request as soon
 * as the previous one answered, for `durationMs`. `send` resolves true for a good response.
 */
export async function runClosedLoop(
  connections: number,
  durationMs: number,
  send: () => Promise<boolean>,
): Promise<ClosedLoopResult> {
  const latencies: number[] = [];
  let errors = 0;
  const startedAt = performance.now();
  const deadline = startedAt + durationMs;
  async function worker() {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      let ok = false;
      try {
        ok = await send();
      } catch {
        ok = false;
      }
      if (ok) latencies.push(performance.now() - t0);
      else errors += 1;
    }
  }
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = (performance.now() - startedAt) / 1000;
  return {
    connections,
    seconds,
    requests: latencies.length,
    errors,
    perSecond: latencies.length / seconds,
    latencyMs: summarise(latencies),
  };
}
