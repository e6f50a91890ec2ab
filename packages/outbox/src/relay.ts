import type { Kafka, Producer } from "@shop/kafka";
import {
  type ConfigOf,
  int,
  type Logger,
  type PipelinedTransaction,
  pipelinedTransaction,
  type Sql,
} from "@shop/platform";
import { type Message, Partitioners } from "kafkajs";
import type { Registry } from "prom-client";
import { outboxCommits } from "./enqueue.js";
import { isRowError } from "./kafka-errors.js";
import { createRelayMetrics } from "./metrics.js";

export interface RelayOptions {
  sql: Sql;
  kafka: Kafka;
  logger: Logger;
  metrics: Registry;
  /** Rows per transaction. */
  batchSize?: number;
  /** Fallback poll when no NOTIFY arrives (e.g. rows written by a process that crashed before notifying). */
  pollIntervalMs?: number;
  /** Attempts after which a row that Kafka keeps rejecting is parked with its last error. */
  maxAttempts?: number;
  /** Published rows are deleted after this long. */
  retentionMs?: number;
  cleanupIntervalMs?: number;
  /**
   * Longest pause between attempts while the broker is unreachable: also how long events may
   * wait after it is back, so seconds, not half a minute (an attempt costs one failed connect).
   */
  maxBackoffMs?: number;
  /**
   * Shortest time from the start of one round to the start of the next that a commit woke (0:
   * none). A busy relay then waits out the rest of it, and the events committed meanwhile share
   * one claim, one produce request and one mark, and reach their consumers in one fetch, instead
   * of costing each of these once per event. An idle relay is not held: a commit that comes longer
   * than this after the last round is published at once. So it adds at most this much to an
   * event's way, and only under load.
   */
  minRoundIntervalMs?: number;
  /** Called after Kafka acknowledged a batch and before the rows are marked published (fault injection). */
  afterPublish?: (eventIds: string[]) => Promise<void> | void;
}

interface OutboxRow {
  id: number;
  event_id: string;
  topic: string;
  message_key: string;
  event_type: string;
  payload: unknown;
  headers: Record<string, string>;
  attempts: number;
  created_at: Date;
}

/** The relay's settings in a service's `configSpec`; `relayOptions` hands them to the relay. */
export const relaySettings = () => ({
  outboxMinRoundIntervalMs: int(
    "OUTBOX_MIN_ROUND_INTERVAL_MS",
    "shortest time between two publishing rounds of the outbox relay: under load, the events committed meanwhile go out together (0: a round per wake)",
    20,
    0,
    1_000,
  ),
});

/** The options of a service's relay that its configuration sets (see `relaySettings`). */
export const relayOptions = (config: ConfigOf<ReturnType<typeof relaySettings>>) => ({
  minRoundIntervalMs: config.outboxMinRoundIntervalMs,
});

/** How soon a relay looks again at rows it left to another relay (which may be about to release them). */
const CONTENDED_RETRY_MS = 20;

/** Advisory-lock namespace of the relay: one relay at a time owns an aggregate's pending rows. */
const LOCK_NAMESPACE = 0x0b0c;

/**
 * The pool a service opens for its relay (`openDatabase(life, config, RELAY_POOL)`): its own, so
 * the relay never queues for a connection behind the requests whose events it publishes, and
 * without sequential scans. The relay runs the same few statements thousands of times on these
 * connections, so PostgreSQL soon keeps one generic plan per statement, made from the statistics
 * of that moment: one made while the outbox was nearly empty scanned the whole table to mark each
 * published batch once it had grown (marking 500 rows of a backlog of 50,000 took 150 ms instead
 * of 10, and the relay drained 2,500 events/s instead of 9,800). Every statement of the relay
 * finds its rows through an index (the primary key, the pending rows' partial index, the
 * published rows' one), so with sequential scans off even a generic plan made on an empty table
 * uses them, and each statement is planned once per connection: planning the claim costs
 * PostgreSQL about 0.3 ms, which the relay paid on every round when each statement was planned
 * for its parameters (`plan_cache_mode=force_custom_plan`, the setting before this one).
 */
export const RELAY_POOL = {
  name: "outbox-relay",
  max: 2,
  // JIT off too: a statement left with a sequential scan (the backlog gauges' count) carries the
  // planner's penalty in its cost, which would otherwise have it compiled on every scrape.
  settings: { enable_seqscan: "off", jit: "off" },
};

/**
 * Publishes committed outbox rows to Kafka: idempotent producer, acks=all, key = aggregate id.
 * Several relays may run on one table: rows are claimed with FOR UPDATE SKIP LOCKED, and an
 * advisory lock per message key keeps one aggregate's rows with one relay, so they go out in order:
 * a relay takes the oldest pending rows of the keys it locked, and the relay that holds a key sees
 * all of that key's pending rows older than any it takes. At most a batch of keys is locked at once.
 * Rows are marked published in the same transaction that claimed them; a crash in between
 * republishes them, which consumers absorb through their inbox.
 */
export function createOutboxRelay(opts: RelayOptions) {
  const batchSize = opts.batchSize ?? 200;
  const pollIntervalMs = opts.pollIntervalMs ?? 1_000;
  const maxAttempts = opts.maxAttempts ?? 10;
  const retentionMs = opts.retentionMs ?? 7 * 24 * 3600_000;
  const cleanupIntervalMs = opts.cleanupIntervalMs ?? 60_000;
  const maxBackoffMs = opts.maxBackoffMs ?? 3_000;
  const minRoundIntervalMs = opts.minRoundIntervalMs ?? 0;
  const log = opts.logger.child({ component: "outbox-relay" });
  const metrics = createRelayMetrics(opts.metrics, opts.sql);

  let producer: Producer | undefined;
  let connected = false;
  let running = false;
  let woken = false;
  let wakeUp: (() => void) | undefined;
  let loopDone: Promise<void> | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  let cleanupTimer: NodeJS.Timeout | undefined;

  function wake() {
    woken = true;
    wakeUp?.();
  }

  function pause(ms: number): Promise<void> {
    if (woken || !running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      }
      wakeUp = done;
    });
  }

  async function ensureProducer(): Promise<Producer> {
    producer ??= opts.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      // Fail fast to our own backoff loop instead of holding the claiming transaction open.
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    if (!connected) {
      await producer.connect();
      connected = true;
    }
    return producer;
  }

  function toMessage(row: OutboxRow): Message {
    return {
      key: row.message_key,
      value: JSON.stringify(row.payload),
      headers: { ...row.headers, "event-type": row.event_type, "event-id": row.event_id },
    };
  }

  /** Marks the rows published and commits, in one round trip. */
  async function markPublished({ tx, commit }: PipelinedTransaction, rows: OutboxRow[]) {
    if (rows.length === 0) return commit();
    await opts.afterPublish?.(rows.map((r) => r.event_id));
    await commit(tx`
      update outbox set published_at = now(), attempts = attempts + 1
      where id = any(${rows.map((r) => r.id)}::bigint[])
    `);
    const now = Date.now();
    for (const row of rows) {
      metrics.published.inc({ event_type: row.event_type });
      metrics.latency.observe((now - row.created_at.getTime()) / 1000);
    }
  }

  /** One message at a time, to find which rows Kafka rejects; an aggregate stops at its first failure. */
  async function publishOneByOne(t: PipelinedTransaction, p: Producer, rows: OutboxRow[]) {
    const { tx } = t;
    const blockedKeys = new Set<string>();
    const sent: OutboxRow[] = [];
    for (const row of rows) {
      if (blockedKeys.has(row.message_key)) continue;
      try {
        await p.send({ topic: row.topic, acks: -1, messages: [toMessage(row)] });
        sent.push(row);
      } catch (err) {
        if (!isRowError(err)) throw err;
        blockedKeys.add(row.message_key);
        metrics.failures.inc({ kind: "row" });
        const park = row.attempts + 1 >= maxAttempts;
        await tx`
          update outbox set attempts = attempts + 1, last_error = ${String((err as Error).message).slice(0, 1000)},
            parked_at = ${park ? new Date() : null}
          where id = ${row.id}
        `;
        log[park ? "error" : "warn"](
          { err, eventId: row.event_id, attempts: row.attempts + 1 },
          park ? "outbox row parked" : "outbox row rejected",
        );
      }
    }
    await markPublished(t, sent);
  }

  /**
   * Claims, publishes and marks one batch: how many rows it claimed, and whether it left rows
   * because another relay held their aggregate.
   */
  async function publishBatch(): Promise<{ claimed: number; contended: boolean }> {
    const p = await ensureProducer();
    // Two round trips to PostgreSQL a round: BEGIN with the claim, the mark with COMMIT.
    return pipelinedTransaction(opts.sql, async (t) => {
      const { tx } = t;
      // The oldest pending rows first, then the aggregate locks on those rows alone: with the lock
      // in the scan's filter, a plan that sorts after filtering (a seq or bitmap scan, chosen on
      // stale statistics) would try-lock every pending row, and a backlog of a few thousand
      // aggregates exhausts PostgreSQL's shared lock table ("out of shared memory"). The status is
      // checked again on the locked row: another relay may have published it since the snapshot.
      // `skipped` counts the candidates whose aggregate another relay holds: this relay looks
      // again shortly instead of at the next poll, since it may not be woken for them (the
      // wake after a commit reaches the relay of the process that committed).
      const claimed = await tx<(OutboxRow & { skipped: number })[]>`
        with candidate as materialized (
          select id, message_key from outbox
          where published_at is null and parked_at is null
          order by id
          limit ${batchSize}
        ), claimable as materialized (
          select id from candidate
          where pg_try_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext(message_key))
        )
        select s.skipped, o.id, o.event_id, o.topic, o.message_key, o.event_type, o.payload,
          o.headers, o.attempts, o.created_at
        from (select ((select count(*) from candidate) - (select count(*) from claimable))::int as skipped) s
        left join lateral (
          select o.* from outbox o
          where o.id = any(array(select id from claimable))
            and o.published_at is null and o.parked_at is null
          order by o.id
          for update of o skip locked
        ) o on true
        order by o.id
      `;
      const contended = claimed[0]!.skipped > 0;
      const rows: OutboxRow[] = claimed[0]!.id === null ? [] : claimed;
      if (rows.length === 0) return { claimed: 0, contended };
      const byTopic = new Map<string, Message[]>();
      for (const row of rows) {
        const list = byTopic.get(row.topic) ?? [];
        list.push(toMessage(row));
        byTopic.set(row.topic, list);
      }
      try {
        await p.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
      } catch (err) {
        if (!isRowError(err)) throw err;
        await publishOneByOne(t, p, rows);
        return { claimed: rows.length, contended };
      }
      await markPublished(t, rows);
      return { claimed: rows.length, contended };
    });
  }

  async function loop() {
    let backoff = 0;
    let roundStartedAt = Number.NEGATIVE_INFINITY;
    while (running) {
      const early = roundStartedAt + minRoundIntervalMs - performance.now();
      if (early > 0) await new Promise((resolve) => setTimeout(resolve, early));
      if (!running) break;
      roundStartedAt = performance.now();
      woken = false;
      try {
        let batch: { claimed: number; contended: boolean };
        let events = 0;
        do {
          batch = await publishBatch();
          events += batch.claimed;
        } while (running && batch.claimed === batchSize);
        metrics.roundEvents.observe(events);
        metrics.roundDuration.observe((performance.now() - roundStartedAt) / 1000);
        if (backoff > 0) log.info("outbox relay resumed");
        backoff = 0;
        await pause(batch.contended ? CONTENDED_RETRY_MS : pollIntervalMs);
      } catch (err) {
        metrics.failures.inc({ kind: "broker" });
        connected = false;
        backoff = Math.min(Math.max(backoff * 2, 100), maxBackoffMs);
        log.warn(
          { err: String((err as Error).message), retryInMs: backoff },
          "outbox publish failed; backing off",
        );
        woken = false;
        await pause(backoff);
      }
    }
  }

  async function cleanup() {
    try {
      await opts.sql`
        delete from outbox where id in (
          select id from outbox
          where published_at < now() - make_interval(secs => ${retentionMs / 1000})
          limit 10000
        )
      `;
    } catch (err) {
      log.warn({ err }, "outbox cleanup failed");
    }
  }

  return {
    async start(): Promise<void> {
      running = true;
      unlisten = await outboxCommits.listen(opts.sql, wake);
      cleanupTimer = setInterval(() => void cleanup(), cleanupIntervalMs);
      cleanupTimer.unref();
      loopDone = loop();
      log.info({ batchSize, pollIntervalMs, minRoundIntervalMs }, "outbox relay started");
    },
    /** Finishes the batch in flight, then disconnects. */
    async stop(): Promise<void> {
      running = false;
      clearInterval(cleanupTimer);
      wake();
      await loopDone;
      await unlisten?.().catch(() => {});
      await producer?.disconnect().catch(() => {});
      connected = false;
    },
    /** Publishes whatever is pending now (tests and tools). */
    wake,
    cleanup,
  };
}

export type OutboxRelay = ReturnType<typeof createOutboxRelay>;
