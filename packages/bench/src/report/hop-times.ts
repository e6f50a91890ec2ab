import { type TopicKey, topicName } from "@shop/events";
import { type MetricSample, metricSamples } from "./service-metrics.js";

/**
 * An event's way from the transaction that wrote it to the effect it has in a consumer, in three
 * stretches, from the services' own histograms:
 * - `outbox`: from the start of the writing transaction (the row's `created_at`) to the relay's
 *   commit after Kafka acknowledged it (`outbox_publish_latency_seconds`), per relay: the writer's
 *   transaction, the wait for a round, and the round (claim, produce request, mark);
 * - `delivery`: from the producer's timestamp, taken as the produce request leaves, to the
 *   consumer's batch (`kafka_consumer_delivery_seconds`), per consumer group and topic: the broker
 *   and the fetch;
 * - `handler`: the consumer's transaction (`kafka_consumer_handler_seconds`), per group and event
 *   type; for a consumer that emits an event, it is also the start of that event's `outbox` stretch.
 */
export type HopStage = "outbox" | "delivery" | "handler";

const SOURCES: { stage: HopStage; metric: string }[] = [
  { stage: "outbox", metric: "outbox_publish_latency_seconds" },
  { stage: "delivery", metric: "kafka_consumer_delivery_seconds" },
  { stage: "handler", metric: "kafka_consumer_handler_seconds" },
];

/** Which series of a stretch: a relay has none; a consumer has its group and its topic or event type. */
export interface HopSeries {
  group?: string;
  topic?: string;
  eventType?: string;
}

/** The series in words, for the report. */
export function hopWhat(h: HopSeries): string {
  if (h.topic !== undefined) return `${h.group} from ${h.topic}`;
  if (h.eventType !== undefined) return `${h.group}: ${h.eventType}`;
  return "every event it publishes";
}

/** A histogram series' totals: its count, its sum in seconds, and its cumulative buckets by upper bound. */
export interface HistogramTotals {
  count: number;
  sum: number;
  buckets: [le: number, cumulative: number][];
}

export interface HopTotals extends HopSeries {
  stage: HopStage;
  service: string;
  totals: HistogramTotals;
}

/** One stretch over a run. */
export interface HopTime extends HopSeries {
  stage: HopStage;
  service: string;
  perSecond: number;
  meanMs: number;
  /** The upper bound of the bucket that holds the 99th percentile (Infinity: past the last bound). */
  p99AtMostMs: number;
}

/** A histogram's series in one /metrics text, each with its labels (but `le`) and its totals. */
function histogramSeries(
  text: string,
  name: string,
): { labels: Record<string, string>; totals: HistogramTotals }[] {
  const series = new Map<string, { labels: Record<string, string>; totals: HistogramTotals }>();
  const entry = ({ labels: { le: _le, ...labels } }: MetricSample) => {
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
    let e = series.get(key);
    if (!e) {
      e = { labels, totals: { count: 0, sum: 0, buckets: [] } };
      series.set(key, e);
    }
    return e;
  };
  for (const s of metricSamples(text, `${name}_count`)) entry(s).totals.count = s.value;
  for (const s of metricSamples(text, `${name}_sum`)) entry(s).totals.sum = s.value;
  for (const s of metricSamples(text, `${name}_bucket`)) {
    entry(s).totals.buckets.push([
      s.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(s.labels.le),
      s.value,
    ]);
  }
  for (const e of series.values()) e.totals.buckets.sort((a, b) => a[0] - b[0]);
  return [...series.values()];
}

/** The three stretches' histograms in one service's /metrics text. */
export function parseHopTotals(service: string, text: string): HopTotals[] {
  return SOURCES.flatMap(({ stage, metric }) =>
    histogramSeries(text, metric).map(({ labels, totals }) => ({
      stage,
      service,
      ...(labels.group === undefined ? {} : { group: labels.group }),
      ...(labels.topic === undefined ? {} : { topic: labels.topic }),
      ...(labels.event_type === undefined ? {} : { eventType: labels.event_type }),
      totals,
    })),
  );
}

/** The stretches' histograms of every service, from their /metrics texts by name. */
export function hopTotalsOf(texts: Record<string, string>): HopTotals[] {
  return Object.entries(texts).flatMap(([service, text]) => parseHopTotals(service, text));
}

/** The smallest bucket bound that holds `q` of the observations between two readings. */
function quantileBound(before: HistogramTotals | undefined, after: HistogramTotals, q: number): number {
  const count = after.count - (before?.count ?? 0);
  for (const [le, cumulative] of after.buckets) {
    const earlier = before?.buckets.find(([b]) => b === le)?.[1] ?? 0;
    if (cumulative - earlier >= q * count) return le;
  }
  return Number.POSITIVE_INFINITY;
}

/** Each stretch between two readings `seconds` apart, in the order of `SOURCES`; stretches with nothing in between are left out. */
export function hopTimesBetween(before: HopTotals[], after: HopTotals[], seconds: number): HopTime[] {
  const id = (h: Omit<HopTotals, "totals">) => `${h.stage}|${h.service}|${hopWhat(h)}`;
  const earlier = new Map(before.map((h) => [id(h), h.totals]));
  const out: HopTime[] = [];
  for (const { totals, ...series } of after) {
    const b = earlier.get(id(series));
    const count = totals.count - (b?.count ?? 0);
    if (count <= 0 || seconds <= 0) continue;
    out.push({
      ...series,
      perSecond: count / seconds,
      meanMs: ((totals.sum - (b?.sum ?? 0)) / count) * 1000,
      p99AtMostMs: quantileBound(b, totals, 0.99) * 1000,
    });
  }
  const order = SOURCES.map((s) => s.stage);
  return out.sort(
    (x, y) =>
      order.indexOf(x.stage) - order.indexOf(y.stage) ||
      x.service.localeCompare(y.service) ||
      hopWhat(x).localeCompare(hopWhat(y)),
  );
}

/**
 * The saga's way to PAID in its stretches, at their means: the order's OrderCreated goes out (with
 * the order's own transaction), the product service takes it and sends InventoryReserved, the
 * payment service takes that and sends PaymentProcessed, and the order service takes that and
 * sends OrderPaid. Each service's handler is inside its `outbox` stretch. Left out: the HTTP request
 * before the order's transaction, and OrderPaid's way to whoever watches for it. Undefined when a
 * stretch is missing.
 */
export function pathToPaid(
  hops: HopTime[],
): { parts: { label: string; meanMs: number }[]; totalMs: number } | undefined {
  const find = (stage: HopStage, service: string, topic?: TopicKey) =>
    hops.find(
      (h) =>
        h.stage === stage &&
        h.service === service &&
        (topic === undefined || (h.group === service && h.topic?.endsWith(topicName(topic)))),
    )?.meanMs;
  const steps: [string, number | undefined][] = [
    ["order: OrderCreated out", find("outbox", "order")],
    ["to product", find("delivery", "product", "orders")],
    ["product: InventoryReserved out", find("outbox", "product")],
    ["to payment", find("delivery", "payment", "inventory")],
    ["payment: PaymentProcessed out", find("outbox", "payment")],
    ["to order", find("delivery", "order", "payments")],
    ["order: OrderPaid out", find("outbox", "order")],
  ];
  const parts = steps.flatMap(([label, meanMs]) => (meanMs === undefined ? [] : [{ label, meanMs }]));
  if (parts.length < steps.length) return undefined;
  return { parts, totalMs: parts.reduce((n, p) => n + p.meanMs, 0) };
}
