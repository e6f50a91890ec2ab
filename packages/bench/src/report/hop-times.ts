import { type MetricSample, metricSamples } from "./service-metrics.js";

/**
 * An event's way from the commit that wrote it to the effect it has in a consumer, in three
 * stretches, from the services' own histograms:
 * - `outbox`: the outbox write to Kafka's acknowledgement (`outbox_publish_latency_seconds`), per
 *   relay: the wait for a round, the round's claim and the produce request;
 * - `delivery`: the producer's timestamp to the batch reaching the consumer
 *   (`kafka_consumer_delivery_seconds`), per consumer group and topic: the broker and the fetch;
 * - `handler`: the consumer's transaction (`kafka_consumer_handler_seconds`), per group and event type.
 * The produce request is in both the first and the second.
 */
export type HopStage = "outbox" | "delivery" | "handler";

const SOURCES: { stage: HopStage; metric: string; what: (labels: Record<string, string>) => string }[] = [
  { stage: "outbox", metric: "outbox_publish_latency_seconds", what: () => "every event it publishes" },
  {
    stage: "delivery",
    metric: "kafka_consumer_delivery_seconds",
    what: (l) => `${l.group ?? "?"} from ${l.topic ?? "?"}`,
  },
  {
    stage: "handler",
    metric: "kafka_consumer_handler_seconds",
    what: (l) => `${l.group ?? "?"}: ${l.event_type ?? "?"}`,
  },
];

/** A histogram series' totals: its count, its sum in seconds, and its cumulative buckets by upper bound. */
export interface HistogramTotals {
  count: number;
  sum: number;
  buckets: [le: number, cumulative: number][];
}

export interface HopTotals {
  stage: HopStage;
  service: string;
  what: string;
  totals: HistogramTotals;
}

/** One stretch over a run. */
export interface HopTime {
  stage: HopStage;
  service: string;
  what: string;
  perSecond: number;
  meanMs: number;
  /** The upper bound of the bucket that holds the 99th percentile (Infinity: past the last bound). */
  p99AtMostMs: number;
}

const keyOf = (labels: Record<string, string>) =>
  Object.entries(labels)
    .filter(([k]) => k !== "le")
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

/** A histogram's series in one /metrics text, each with its totals. */
function histogramSeries(
  text: string,
  name: string,
): { labels: Record<string, string>; totals: HistogramTotals }[] {
  const series = new Map<string, { labels: Record<string, string>; totals: HistogramTotals }>();
  const entry = (s: MetricSample) => {
    const key = keyOf(s.labels);
    let e = series.get(key);
    if (!e) {
      const { le: _le, ...labels } = s.labels;
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
  return SOURCES.flatMap(({ stage, metric, what }) =>
    histogramSeries(text, metric).map(({ labels, totals }) => ({
      stage,
      service,
      what: what(labels),
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
  const id = (h: HopTotals) => `${h.stage}|${h.service}|${h.what}`;
  const earlier = new Map(before.map((h) => [id(h), h.totals]));
  const out: HopTime[] = [];
  for (const h of after) {
    const b = earlier.get(id(h));
    const count = h.totals.count - (b?.count ?? 0);
    if (count <= 0 || seconds <= 0) continue;
    out.push({
      stage: h.stage,
      service: h.service,
      what: h.what,
      perSecond: count / seconds,
      meanMs: ((h.totals.sum - (b?.sum ?? 0)) / count) * 1000,
      p99AtMostMs: quantileBound(b, h.totals, 0.99) * 1000,
    });
  }
  const order = SOURCES.map((s) => s.stage);
  return out.sort(
    (x, y) =>
      order.indexOf(x.stage) - order.indexOf(y.stage) ||
      x.service.localeCompare(y.service) ||
      x.what.localeCompare(y.what),
  );
}

/** Each stage's mean over every event that went through it (weighted by the events). */
export function stageMeans(hops: HopTime[]): Partial<Record<HopStage, number>> {
  const out: Partial<Record<HopStage, number>> = {};
  for (const { stage } of SOURCES) {
    const rows = hops.filter((h) => h.stage === stage);
    const events = rows.reduce((n, h) => n + h.perSecond, 0);
    if (events > 0) out[stage] = rows.reduce((n, h) => n + h.perSecond * h.meanMs, 0) / events;
  }
  return out;
}
