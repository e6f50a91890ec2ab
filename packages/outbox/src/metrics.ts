import type { Sql } from "@shop/platform";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** Relay metrics; the backlog gauges read the table when scraped. */
export function createRelayMetrics(registry: Registry, sql: Sql) {
  let lastBacklog: Promise<{ pending: number; oldest: number; parked: number }> | undefined;
  // One query per scrape serves all three gauges.
  const backlog = () => {
    lastBacklog ??= sql`
      select
        count(*) filter (where published_at is null and parked_at is null)::int as pending,
        coalesce(extract(epoch from now() - min(created_at) filter (where published_at is null and parked_at is null)), 0)::float8 as oldest,
        count(*) filter (where parked_at is not null and published_at is null)::int as parked
      from outbox
      where published_at is null
    `
      .then((r) => r[0] as { pending: number; oldest: number; parked: number })
      .finally(() => setTimeout(() => (lastBacklog = undefined), 100).unref());
    return lastBacklog;
  };
  return {
    pending: new Gauge({
      name: "outbox_pending_rows",
      help: "Outbox rows waiting to be published",
      registers: [registry],
      async collect() {
        this.set((await backlog()).pending);
      },
    }),
    oldestAge: new Gauge({
      name: "outbox_oldest_pending_age_seconds",
      help: "Age of the oldest unpublished outbox row",
      registers: [registry],
      async collect() {
        this.set((await backlog()).oldest);
      },
    }),
    parked: new Gauge({
      name: "outbox_parked_rows",
      help: "Outbox rows parked after repeated publish failures",
      registers: [registry],
      async collect() {
        this.set((await backlog()).parked);
      },
    }),
    published: new Counter({
      name: "outbox_published_total",
      help: "Outbox rows published to Kafka",
      labelNames: ["event_type"],
      registers: [registry],
    }),
    failures: new Counter({
      name: "outbox_publish_failures_total",
      help: "Failed publish attempts, by kind (broker: whole batch, row: one message)",
      labelNames: ["kind"],
      registers: [registry],
    }),
    latency: new Histogram({
      name: "outbox_publish_latency_seconds",
      help: "Time from the outbox write to its acknowledgement by Kafka",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
      registers: [registry],
    }),
    roundEvents: new Histogram({
      name: "outbox_round_events",
      help: "Events published by one round of the relay (a claim, a produce request and a mark per batch): how well the rounds gather",
      buckets: [0, 1, 2, 4, 8, 16, 32, 64, 200, 1000],
      registers: [registry],
    }),
    roundDuration: new Histogram({
      name: "outbox_round_duration_seconds",
      help: "Time one round of the relay took, from its claim to its commit",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
  };
}
