import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export function createConsumerMetrics(registry: Registry) {
  const existing = registry.getSingleMetric("kafka_consumer_messages_total");
  if (existing) {
    // Several consumers in one process share the series (labelled by group).
    return {
      messages: existing as Counter<"group" | "event_type" | "outcome">,
      duration: registry.getSingleMetric("kafka_consumer_handler_seconds") as Histogram<
        "group" | "event_type"
      >,
      retries: registry.getSingleMetric("kafka_consumer_retries_total") as Counter<"group" | "event_type">,
      deadLetters: registry.getSingleMetric("kafka_dead_letters_total") as Counter<"group" | "reason">,
      lag: registry.getSingleMetric("kafka_consumer_lag") as Gauge<"group" | "topic" | "partition">,
      delivery: registry.getSingleMetric("kafka_consumer_delivery_seconds") as Histogram<"group" | "topic">,
    };
  }
  return {
    messages: new Counter({
      name: "kafka_consumer_messages_total",
      help: "Messages consumed, by outcome (handled, duplicate, skipped, dead_lettered, failed)",
      labelNames: ["group", "event_type", "outcome"],
      registers: [registry],
    }),
    duration: new Histogram({
      name: "kafka_consumer_handler_seconds",
      help: "Handler duration including its transaction",
      labelNames: ["group", "event_type"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
    retries: new Counter({
      name: "kafka_consumer_retries_total",
      help: "Handler retries after a transient failure",
      labelNames: ["group", "event_type"],
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: "kafka_dead_letters_total",
      help: "Messages sent to the dead-letter topic",
      labelNames: ["group", "reason"],
      registers: [registry],
    }),
    lag: new Gauge({
      name: "kafka_consumer_lag",
      help: "Messages behind the partition's high watermark after the last batch",
      labelNames: ["group", "topic", "partition"],
      registers: [registry],
    }),
    delivery: new Histogram({
      name: "kafka_consumer_delivery_seconds",
      help: "Time from a message's timestamp (set by its producer when sent) to its batch reaching the consumer; across hosts it carries their clocks' skew",
      labelNames: ["group", "topic"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
      registers: [registry],
    }),
  };
}
