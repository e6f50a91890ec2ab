import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { createEventConsumer } from "@shop/consumer";
import { createMetricsRegistry, createSql, initTracing, type Sql, trace, withSpan } from "@shop/platform";
import {
  createTestDatabase,
  eventually,
  kafkaBrokers,
  type TestDatabase,
  uniqueTopicPrefix,
} from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOutbox } from "../src/enqueue.js";
import { createOutboxRelay } from "../src/relay.js";
import { kafkaAt, logger, paymentFailed } from "./helpers.js";

const exporter = new InMemorySpanExporter();
initTracing({ serviceName: "trace-test", exporter });

let db: TestDatabase;
let sql: Sql;

beforeAll(async () => {
  db = await createTestDatabase("payment");
  sql = createSql(db.url, { max: 4 });
});
afterAll(async () => {
  await sql?.end({ timeout: 5 });
  await db?.drop();
});

describe("trace context through the outbox and Kafka", () => {
  it("when an event is written inside a span, then the consumer's handler runs in the same trace", async () => {
    const prefix = uniqueTopicPrefix();
    const kafka = kafkaAt(kafkaBrokers());
    const seen: string[] = [];
    const consumer = createEventConsumer({
      kafka,
      sql,
      logger,
      metrics: createMetricsRegistry("t"),
      groupId: "trace-test",
      topicPrefix: prefix,
      topics: ["payments"],
      handlers: {
        PaymentFailed: async () => {
          seen.push(trace.getActiveSpan()?.spanContext().traceId ?? "none");
        },
      },
    });
    await consumer.start();
    const relay = createOutboxRelay({ sql, kafka, logger, metrics: createMetricsRegistry("t") });
    await relay.start();

    const traceId = await withSpan("place order", {}, async (span) => {
      await sql.begin((tx) => createOutbox({ topicPrefix: prefix }).enqueue(tx, paymentFailed(77, 1)));
      return span.spanContext().traceId;
    });
    await eventually(() => (seen.length > 0 ? true : undefined));
    await relay.stop();
    await consumer.stop();

    expect(seen).toEqual([traceId]);
    const consumeSpan = exporter.getFinishedSpans().find((s) => s.name === "consume PaymentFailed");
    expect(consumeSpan?.spanContext().traceId).toBe(traceId);
    const [row] = await sql`select headers from outbox where message_key = '77'`;
    expect(row?.headers.traceparent).toContain(traceId);
  });
});
