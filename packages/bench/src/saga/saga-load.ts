import { type HttpClient, RequestTimeout } from "../load/http-client.js";
import { runOpenLoop } from "../load/open-loop.js";
import type { StepOutcome } from "../load/rate-plan.js";
import { LogHistogram } from "../stats/log-histogram.js";
import { type LatencySummary, percentile, summarise } from "../stats/percentiles.js";
import type { Customer } from "./seed.js";
import type { TerminalEvent } from "./terminal-watcher.js";

export interface TimelinePoint {
  /** Seconds since the step started. */
  second: number;
  sent: number;
  completed: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface SagaStepResult extends StepOutcome {
  label: string;
  seconds: number;
  sent: number;
  httpErrors: Record<string, number>;
  timeouts: number;
  transportErrors: number;
  paid: number;
  cancelled: number;
  /** Create (when the request was due) to the terminal event received from Kafka, every saga. */
  latencyMs: LatencySummary;
  /** The same, PAID sagas only. */
  paidLatencyMs: LatencySummary;
  /** Create to the terminal event's occurredAt: the saga without the last relay hop and the bench's fetch. */
  toTerminalWriteMs: LatencySummary;
  /** Due time to the 202 of POST /orders. */
  acceptMs: LatencySummary;
  generatorLatenessMs: { p50: number; p99: number; max: number };
  timeline: TimelinePoint[];
}

interface StepState {
  label: string;
  startedAt: number;
  latencies: number[];
  paidLatencies: number[];
  writeLatencies: number[];
  acceptLatencies: number[];
  completions: { at: number; latency: number }[];
  live: LogHistogram;
  sentAt: number[];
  accepted: number;
  completed: number;
  paid: number;
  cancelled: number;
  httpErrors: Record<string, number>;
  timeouts: number;
  transportErrors: number;
}

interface Pending {
  step: StepState;
  scheduledAt: number;
}

export interface SagaLoadDeps {
  api: HttpClient;
  customers: Customer[];
  productIds: string[];
  /** Called once a second while a step runs, with a one-line summary. */
  progress: (line: string) => void;
}

/**
 * Places orders through the gateway on an open-model schedule and pairs each accepted order
 * with its terminal event (fed in through `onTerminal`). Latency runs from the moment a request
 * was due to the moment its OrderPaid/OrderCancelled reached the bench.
 */
export function createSagaLoad(deps: SagaLoadDeps) {
  const pending = new Map<number, Pending>();
  /** Terminal events that beat their order's HTTP response to the bench. */
  const early = new Map<number, TerminalEvent>();

  function complete(p: Pending, e: TerminalEvent) {
    const latency = e.receivedAt - p.scheduledAt;
    const s = p.step;
    s.latencies.push(latency);
    s.live.record(latency);
    s.completions.push({ at: e.receivedAt, latency });
    s.completed += 1;
    if (e.type === "OrderPaid") {
      s.paid += 1;
      s.paidLatencies.push(latency);
    } else s.cancelled += 1;
    if (Number.isFinite(e.occurredAt)) {
      s.writeLatencies.push(e.occurredAt - (performance.timeOrigin + p.scheduledAt));
    }
  }

  function onTerminal(e: TerminalEvent) {
    const p = pending.get(e.orderId);
    if (!p) {
      early.set(e.orderId, e);
      return;
    }
    pending.delete(e.orderId);
    complete(p, e);
  }

  async function placeOne(step: StepState, scheduledAt: number) {
    const customer = deps.customers[Math.floor(Math.random() * deps.customers.length)]!;
    const productId = deps.productIds[Math.floor(Math.random() * deps.productIds.length)]!;
    step.sentAt.push(performance.now());
    try {
      const reply = await deps.api.request<{ id: number }>("POST", "/api/v1/orders", {
        token: customer.token,
        body: { items: [{ productId, quantity: 1 }] },
      });
      if (reply.status !== 202) {
        step.httpErrors[reply.status] = (step.httpErrors[reply.status] ?? 0) + 1;
        return;
      }
      step.accepted += 1;
      step.acceptLatencies.push(performance.now() - scheduledAt);
      const id = reply.body.id;
      const seen = early.get(id);
      if (seen) {
        early.delete(id);
        complete({ step, scheduledAt }, seen);
      } else pending.set(id, { step, scheduledAt });
    } catch (err) {
      if (err instanceof RequestTimeout) step.timeouts += 1;
      else step.transportErrors += 1;
    }
  }

  function inFlight(step: StepState) {
    let n = 0;
    for (const p of pending.values()) if (p.step === step) n += 1;
    return n;
  }

  /**
   * One step: `rate` orders per second for `durationMs`, then up to `drainMs` for the sagas
   * still in flight to finish.
   */
  async function runStep(opts: {
    label: string;
    rate: number;
    durationMs: number;
    maxOutstanding: number;
    drainMs: number;
  }): Promise<SagaStepResult> {
    const step: StepState = {
      label: opts.label,
      startedAt: performance.now(),
      latencies: [],
      paidLatencies: [],
      writeLatencies: [],
      acceptLatencies: [],
      completions: [],
      live: new LogHistogram(),
      sentAt: [],
      accepted: 0,
      completed: 0,
      paid: 0,
      cancelled: 0,
      httpErrors: {},
      timeouts: 0,
      transportErrors: 0,
    };
    const requests: Promise<void>[] = [];
    const ticker = setInterval(() => {
      const t = (performance.now() - step.startedAt) / 1000;
      const failed =
        Object.values(step.httpErrors).reduce((a, b) => a + b, 0) + step.timeouts + step.transportErrors;
      deps.progress(
        `${opts.label} ${opts.rate}/s  t=${t.toFixed(0)}s  sent ${step.sentAt.length}  done ${step.completed}` +
          `  p99 ${fmt(step.live.percentile(99))} ms  failed ${failed}  in flight ${inFlight(step)}`,
      );
    }, 1_000);
    let loop: Awaited<ReturnType<typeof runOpenLoop>>;
    try {
      loop = await runOpenLoop({
        rate: opts.rate,
        durationMs: opts.durationMs,
        maxOutstanding: opts.maxOutstanding,
        fire: (scheduledAt) => {
          const r = placeOne(step, scheduledAt);
          requests.push(r);
          return r;
        },
      });
      step.startedAt = loop.startedAt;
      const drainUntil = performance.now() + opts.drainMs;
      await Promise.race([Promise.all(requests), sleep(opts.drainMs)]);
      while (inFlight(step) > 0 && performance.now() < drainUntil) await sleep(50);
    } finally {
      clearInterval(ticker);
    }
    const now = performance.now();
    // Sagas that never finished count with the time waited so far: a lower bound, never left out.
    let unfinished = 0;
    for (const [id, p] of pending) {
      if (p.step !== step) continue;
      unfinished += 1;
      step.latencies.push(now - p.scheduledAt);
      pending.delete(id);
    }
    const seconds = (loop.endedAt - loop.startedAt) / 1000;
    const inWindow = step.completions.filter((c) => c.at >= loop.startedAt && c.at <= loop.endedAt).length;
    const latencyMs = summarise(step.latencies);
    const failed =
      Object.values(step.httpErrors).reduce((a, b) => a + b, 0) + step.timeouts + step.transportErrors;
    return {
      label: opts.label,
      rate: opts.rate,
      seconds,
      due: loop.due,
      sent: loop.sent,
      dropped: loop.dropped,
      failed,
      accepted: step.accepted,
      httpErrors: step.httpErrors,
      timeouts: step.timeouts,
      transportErrors: step.transportErrors,
      paid: step.paid,
      cancelled: step.cancelled,
      completedPerSecond: inWindow / seconds,
      unfinished,
      p99Ms: latencyMs.p99,
      latencyMs,
      paidLatencyMs: summarise(step.paidLatencies),
      toTerminalWriteMs: summarise(step.writeLatencies),
      acceptMs: summarise(step.acceptLatencies),
      generatorLatenessMs: loop.lateness,
      timeline: timeline(step, loop.startedAt),
    };
  }

  return { onTerminal, runStep };
}

function timeline(step: StepState, startedAt: number): TimelinePoint[] {
  const buckets = new Map<number, number[]>();
  const sent = new Map<number, number>();
  for (const c of step.completions) {
    const s = Math.floor((c.at - startedAt) / 1000);
    const list = buckets.get(s) ?? [];
    list.push(c.latency);
    buckets.set(s, list);
  }
  for (const at of step.sentAt) {
    const s = Math.floor((at - startedAt) / 1000);
    sent.set(s, (sent.get(s) ?? 0) + 1);
  }
  const last = Math.max(-1, ...buckets.keys(), ...sent.keys());
  const points: TimelinePoint[] = [];
  for (let s = 0; s <= last; s++) {
    const sorted = Float64Array.from(buckets.get(s) ?? []).sort();
    points.push({
      second: s,
      sent: sent.get(s) ?? 0,
      completed: sorted.length,
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
    });
  }
  return points;
}

function fmt(ms: number): string {
  return Number.isFinite(ms) ? ms.toFixed(0) : "-";
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
