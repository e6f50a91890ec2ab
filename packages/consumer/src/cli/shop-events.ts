#!/usr/bin/env node
/**
 * Operator tool for what the saga could not process:
 *   shop-events dlq list   --group <consumer group>            dead letters with their reasons
 *   shop-events dlq replay --group <consumer group> [--event-id <id>]
 *                          republish dead letters to their original topic (once each)
 *   shop-events outbox parked --db <postgres url>              outbox rows parked after failures
 *   shop-events outbox unpark --db <postgres url> [--id <n>]   queue parked rows for publishing again
 * Common: --brokers (default KAFKA_BROKERS or 127.0.0.1:9092), --prefix (KAFKA_TOPIC_PREFIX).
 */
import { parseArgs } from "node:util";
import { deadLetterTopic } from "@shop/events";
import { createKafka } from "@shop/kafka";
import { createLogger, createSql } from "@shop/platform";
import { listDeadLetters, replayDeadLetters } from "./dead-letters.js";
import { listParked, unpark } from "./parked-rows.js";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    group: { type: "string" },
    brokers: { type: "string", default: process.env.KAFKA_BROKERS ?? "127.0.0.1:9092" },
    prefix: { type: "string", default: process.env.KAFKA_TOPIC_PREFIX ?? "" },
    "event-id": { type: "string" },
    db: { type: "string", default: process.env.DATABASE_URL },
    id: { type: "string" },
  },
});

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

async function main() {
  const [area, action] = positionals;
  const logger = createLogger({ service: "shop-events", level: "warn" });
  if (area === "dlq") {
    if (!values.group) fail("--group is required");
    const kafka = createKafka({ brokers: values.brokers.split(","), clientId: "shop-events", logger });
    const topic = deadLetterTopic(values.group, values.prefix);
    if (action === "list") {
      for (const letter of await listDeadLetters(kafka, topic))
        process.stdout.write(`${JSON.stringify(letter)}\n`);
    } else if (action === "replay") {
      const n = await replayDeadLetters(
        kafka,
        topic,
        `${values.prefix}${values.group}.dlq-replay`,
        values["event-id"],
      );
      process.stdout.write(`replayed ${n} message(s) from ${topic}\n`);
    } else fail("usage: shop-events dlq list|replay --group <group>");
    return;
  }
  if (area === "outbox") {
    if (!values.db) fail("--db (or DATABASE_URL) is required");
    const sql = createSql(values.db, { max: 1 });
    try {
      if (action === "parked") {
        for (const row of await listParked(sql)) process.stdout.write(`${JSON.stringify(row)}\n`);
      } else if (action === "unpark") {
        const id = values.id === undefined ? undefined : Number(values.id);
        if (id !== undefined && !Number.isInteger(id)) fail("--id must be an integer");
        process.stdout.write(`unparked ${await unpark(sql, id)} row(s)\n`);
      } else fail("usage: shop-events outbox parked|unpark --db <url> [--id n]");
    } finally {
      await sql.end({ timeout: 5 });
    }
    return;
  }
  fail("usage: shop-events dlq list|replay --group <g> | outbox parked|unpark --db <url>");
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
