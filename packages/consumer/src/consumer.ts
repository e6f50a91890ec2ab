import { context, propagation } from "@opentelemetry/api";
import {
  type AnyEvent,
  deadLetterTopic,
  decodeEvent,
  type EventEnvelope,
  type EventType,
  type TopicKey,
  topicName,
} from "@shop/events";
import { ensureTopics, type Kafka } from "@shop/kafka";
import {
  type Logger,
  pipelinedTransaction,
  SpanKind,
  type Sql,
  type Transaction,
  withSpan,
} from "@shop/platform";
import { type EachBatchPayload, type KafkaMessage, Partitioners, type Producer } from "kafkajs";
import type { Registry } from "prom-client";
import { coalesce } from "./coalesce.js";
import { createConsumerMetrics } from "./metrics.js";
import { backoffMs, isRetryable } from "./retry-policy.js";

export interface HandlerContext {
  log: Logger;
  topic: string;
  partition: number;
  offset: string;
  attempt: number;
}

export type EventHandler<T extends EventType> = (
  event: EventEnvelope<T>,
  tx: Transaction,
  ctx: HandlerContext,
) => Promise<void>;

export type EventHandlers = { [T in EventType]?: EventHandler<T> };

export interface ConsumerOptions {
  kafka: Kafka;
  sql: Sql;
  logger: Logger;
  metrics: Registry;
  /** The consumer group, also the inbox's consumer name. */
  groupId: string;
  topicPrefix?: string;
  topics: TopicKey[];
  handlers: EventHandlers;
  /** Attempts before a failing message is dead-lettered. */
  maxAttempts?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Partitions handled in parallel (order is kept within a partition, hence per aggregate). */
  partitionsConsumedConcurrently?: number;
  /** See DEFAULT_SESSION_TIMEOUT_MS. */
  sessionTimeoutMs?: number;
  /** How long `start` waits for the group join. */
  joinTimeoutMs?: number;
  /**
   * Messages of one partition handled in one database transaction (one inbox insert for the run,
   * then each handler): one commit per run instead of one per message. Runs of several
   * partitions that are ready together (the batches of one fetch) share a transaction too. A
   * failure anywhere rolls the run back and its messages are redone in smaller runs, the failing
   * one alone. Handlers that lock rows shared across aggregates should use 1 (a transaction per
   * message), so that no transaction holds the locks of several messages.
   */
  maxMessagesPerTransaction?: number;
  /**
   * Longest time a handled message's offset waits to be committed (0: after every batch). The
   * inbox makes a redelivery harmless, so offsets need not reach the broker at once: committing
   * at most once per interval spares the broker an OffsetCommit per batch (at tens of messages a
   * second, half the requests it serves) and keeps the commit's round trip off the path to the
   * next fetch. A dead-letter, a failure or a stop commits at once.
   */
  commitIntervalMs?: number;
  /**
   * How long the broker may hold a fetch to gather more messages (0: it answers as soon as one
   * is there). For a consumer off the order's path, such as notifications: its messages then
   * arrive in batches, which share a fetch, a transaction and an offset commit, instead of
   * costing each of these once per message. A fetch returns sooner once it holds
   * `LINGER_MIN_BYTES`.
   */
  fetchLingerMs?: number;
}

/** What a lingering fetch gathers before the broker answers early: a few hundred events. */
export const LINGER_MIN_BYTES = 256 * 1024;

interface MessageRef {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

class StopRequested extends Error {}

/**
 * How long the broker keeps a silent member in the group. A member that dies without leaving
 * (kill -9, a lost host) holds its partitions this long, and a restarted instance's join waits
 * for it: short enough that a crash stalls its partitions for seconds, not half a minute, and
 * long enough (heartbeats go every 3 s) that a busy event loop is not taken for a dead one.
 * The broker's floor is `group.min.session.timeout.ms` (6 s by default).
 */
export const DEFAULT_SESSION_TIMEOUT_MS = 10_000;

/**
 * A Kafka consumer whose handlers are idempotent by construction: each message's event id is
 * inserted into the inbox in the same transaction as the handler's effect, so a redelivery finds
 * it there and changes nothing. The offset moves only after that transaction commits: a batch
 * resolves each message's offset once its transaction has committed, and commits the resolved
 * offsets before kafkajs fetches again. A message that cannot be decoded, fails its schema, or
 * keeps failing goes to the group's dead-letter topic with the reason, and the partition moves on.
 */
export function createEventConsumer(opts: ConsumerOptions) {
  const prefix = opts.topicPrefix ?? "";
  const groupId = `${prefix}${opts.groupId}`;
  const topics = opts.topics.map((t) => topicName(t, prefix));
  const dlq = deadLetterTopic(opts.groupId, prefix);
  const maxAttempts = opts.maxAttempts ?? 5;
  const maxPerTx = Math.max(1, opts.maxMessagesPerTransaction ?? 50);
  const retryBaseMs = opts.retryBaseMs ?? 200;
  const retryMaxMs = opts.retryMaxMs ?? 5_000;
  const log = opts.logger.child({ component: "consumer", group: opts.groupId });
  const metrics = createConsumerMetrics(opts.metrics);
  // Series exist from the start, so dashboards and alerts see a zero rather than nothing.
  for (const reason of ["rejected", "exhausted"]) metrics.deadLetters.inc({ group: opts.groupId, reason }, 0);
  const lingerMs = opts.fetchLingerMs ?? 0;
  const consumer = opts.kafka.consumer({
    groupId,
    ...(lingerMs > 0 ? { maxWaitTimeInMs: lingerMs, minBytes: LINGER_MIN_BYTES } : {}),
    sessionTimeout: opts.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
    heartbeatInterval: 3_000,
    // Short pauses, so a broker back from an outage is found within seconds.
    retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 3_000 },
  });
  let producer: Producer | undefined;
  // Commits every offset resolved so far; set by each batch (see `eachBatch`).
  let commitNow: (() => Promise<void>) | undefined;
  const commitIntervalMs = opts.commitIntervalMs ?? 1_000;
  let lastCommitAt = 0;
  let commitTimer: NodeJS.Timeout | undefined;
  // Set when a batch dead-lettered a message: its offset goes to the broker before the next fetch,
  // so a rebalance does not dead-letter it a second time.
  let commitAtOnce = false;
  const commitResolved = coalesce(() => {
    lastCommitAt = Date.now();
    commitAtOnce = false;
    return commitNow?.() ?? Promise.resolve();
  });
  let stopping = false;
  let joined = false;
  let crashed: Error | undefined;

  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
  });
  consumer.on(consumer.events.CRASH, (e) => {
    crashed = e.payload.error;
    log.error({ err: e.payload.error, restart: e.payload.restart }, "consumer crashed");
    if (e.payload.restart) crashed = undefined;
  });

  async function deadLetter(payload: MessageRef, reason: string, attempts: number, type = "unknown") {
    const { topic, partition, message } = payload;
    producer ??= opts.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    await producer.send({
      topic: dlq,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            "dlq-reason": reason.slice(0, 2000),
            "dlq-original-topic": topic,
            "dlq-original-partition": String(partition),
            "dlq-original-offset": message.offset,
            "dlq-consumer-group": opts.groupId,
            "dlq-attempts": String(attempts),
            "dlq-failed-at": new Date().toISOString(),
          },
        },
      ],
    });
    commitAtOnce = true;
    metrics.deadLetters.inc({ group: opts.groupId, reason: attempts > 1 ? "exhausted" : "rejected" });
    metrics.messages.inc({ group: opts.groupId, event_type: type, outcome: "dead_lettered" });
    log.warn({ topic, partition, offset: message.offset, reason, attempts }, "message dead-lettered");
  }

  function traceContextOf(message: KafkaMessage) {
    const carrier: Record<string, string> = {};
    for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) carrier[k] = String(v);
    return propagation.extract(context.active(), carrier);
  }

  /** The inbox insert and the handler; false when the event was handled before. */
  async function applyOnce(
    tx: Transaction,
    event: AnyEvent,
    handler: EventHandler<EventType>,
    ctx: HandlerContext,
  ) {
    const fresh = await tx`
      insert into inbox (consumer, event_id, event_type)
      values (${opts.groupId}, ${event.eventId}, ${event.type})
      on conflict do nothing
      returning 1
    `;
    if (fresh.length === 0) return false;
    await handler(event as EventEnvelope<EventType>, tx, ctx);
    return true;
  }

  function spanAttributes(ref: MessageRef, event: AnyEvent) {
    return {
      "messaging.system": "kafka",
      "messaging.destination.name": ref.topic,
      "messaging.consumer.group.name": opts.groupId,
      "messaging.message.id": event.eventId,
      "shop.aggregate_id": event.aggregateId,
    };
  }

  function contextFor(ref: MessageRef, event: AnyEvent, attempt: number): HandlerContext {
    return {
      log: log.child({ eventId: event.eventId, eventType: event.type, aggregateId: event.aggregateId }),
      topic: ref.topic,
      partition: ref.partition,
      offset: ref.message.offset,
      attempt,
    };
  }

  type Decoded =
    | { ref: MessageRef; event: AnyEvent; handler: EventHandler<EventType> }
    | { ref: MessageRef; skip: true };

  /** Decodes a message; dead-letters what cannot be decoded. */
  async function decode(ref: MessageRef): Promise<Decoded> {
    let event: AnyEvent;
    try {
      event = decodeEvent(ref.message.value);
    } catch (err) {
      await deadLetter(ref, (err as Error).message, 1);
      return { ref, skip: true };
    }
    const handler = opts.handlers[event.type] as EventHandler<EventType> | undefined;
    if (!handler) {
      metrics.messages.inc({ group: opts.groupId, event_type: event.type, outcome: "skipped" });
      return { ref, skip: true };
    }
    return { ref, event, handler };
  }

  type Item = { ref: MessageRef; event: AnyEvent; handler: EventHandler<EventType> };
  type GroupResult = { done: number; failedAt: number };

  /**
   * The fast path: a run of messages in one transaction, with one inbox insert for all of them
   * and then the handler of each new one. It is all or nothing: any failure rolls the run back
   * and reports the index of the message that failed, so the caller can commit the messages
   * before it on their own and give that one the careful path. Returns the number done (all or 0).
   */
  async function applyGroup(items: Item[]): Promise<GroupResult> {
    let current = 0;
    const timers: (() => void)[] = [];
    let handled: boolean[];
    try {
      // BEGIN goes out with the inbox insert (pipelinedTransaction): a round trip less per run.
      handled = await pipelinedTransaction(opts.sql, async ({ tx }) => {
        const inserted = await tx<{ event_id: string }[]>`
          insert into inbox (consumer, event_id, event_type)
          select ${opts.groupId}, x.id, x.type
          from unnest(${items.map((it) => it.event.eventId)}::uuid[], ${items.map((it) => it.event.type)}::text[])
            as x(id, type)
          on conflict do nothing
          returning event_id
        `;
        // A set, so an event repeated within the run (a republished row) is handled once.
        const fresh = new Set(inserted.map((r) => r.event_id.toLowerCase()));
        const outcomes: boolean[] = [];
        for (; current < items.length; current++) {
          const item = items[current]!;
          timers.push(metrics.duration.startTimer({ group: opts.groupId, event_type: item.event.type }));
          if (!fresh.delete(item.event.eventId.toLowerCase())) {
            outcomes.push(false);
            continue;
          }
          await context.with(traceContextOf(item.ref.message), () =>
            item.handler(item.event as EventEnvelope<EventType>, tx, contextFor(item.ref, item.event, 1)),
          );
          outcomes.push(true);
        }
        return outcomes;
      });
    } catch {
      // A failed commit (current === length) is blamed on the first message: it gets the careful path.
      return { done: 0, failedAt: current < items.length ? current : 0 };
    }
    handled.forEach((wasNew, i) => {
      timers[i]?.();
      metrics.messages.inc({
        group: opts.groupId,
        event_type: items[i]!.event.type,
        outcome: wasNew ? "handled" : "duplicate",
      });
    });
    return { done: items.length, failedAt: -1 };
  }

  /**
   * Runs of several partitions that are ready together share one transaction: kafkajs hands the
   * batch of each partition of a fetch to its own `eachBatch`, all in the same turn of the event
   * loop, so the runs they start in that turn commit once instead of once each. If the shared
   * transaction fails, each run is done again in a transaction of its own, and the usual path
   * finds the message at fault. Within a partition, runs still go one after the other.
   */
  let together: { items: Item[]; settle: (result: GroupResult) => void }[] = [];

  function applyTogether(items: Item[]): Promise<GroupResult> {
    return new Promise((settle) => {
      together.push({ items, settle });
      if (together.length === 1) setImmediate(runTogether);
    });
  }

  async function runTogether(): Promise<void> {
    const runs = together;
    together = [];
    try {
      if (runs.length > 1) {
        const all = await applyGroup(runs.flatMap((r) => r.items));
        if (all.failedAt < 0) {
          for (const r of runs) r.settle({ done: r.items.length, failedAt: -1 });
          return;
        }
      }
      await Promise.all(runs.map(async (r) => r.settle(await applyGroup(r.items))));
    } catch {
      // applyGroup reports failures instead of throwing; should anything else fail, each run's
      // first message takes the careful path (a run settled already keeps its result).
      for (const r of runs) r.settle({ done: 0, failedAt: 0 });
    }
  }

  /** The careful path for one message: its own transaction, retries with backoff, then the dead-letter topic. */
  async function applyAlone(
    ref: MessageRef,
    event: AnyEvent,
    handler: EventHandler<EventType>,
    heartbeat: () => Promise<void>,
  ) {
    const labels = { group: opts.groupId, event_type: event.type };
    for (let attempt = 1; ; attempt++) {
      const ctx = contextFor(ref, event, attempt);
      const end = metrics.duration.startTimer(labels);
      try {
        const handled = await withSpan(
          `consume ${event.type}`,
          {
            kind: SpanKind.CONSUMER,
            parent: traceContextOf(ref.message),
            attributes: spanAttributes(ref, event),
          },
          () => pipelinedTransaction(opts.sql, ({ tx }) => applyOnce(tx, event, handler, ctx)),
        );
        end();
        metrics.messages.inc({ ...labels, outcome: handled ? "handled" : "duplicate" });
        return;
      } catch (err) {
        end();
        if (!isRetryable(err) || attempt >= maxAttempts) {
          await deadLetter(ref, `${(err as Error).name}: ${(err as Error).message}`, attempt, event.type);
          return;
        }
        metrics.retries.inc(labels);
        ctx.log.warn({ err, attempt }, "handler failed; retrying");
        await new Promise((r) => setTimeout(r, backoffMs(attempt, retryBaseMs, retryMaxMs)));
        // Leaving without resolving keeps the offset: the message is redelivered after restart.
        if (stopping) throw new StopRequested("consumer stopping");
        await heartbeat();
      }
    }
  }

  /**
   * Handles a partition's batch, then has its offsets committed: at once when the last commit is
   * `commitIntervalMs` old (before kafkajs fetches again), after a failure, a dead-letter or a stop;
   * otherwise by a timer when the interval is up. A commit is shared with the batches of other
   * partitions that finish meanwhile (`coalesce`): one OffsetCommit for all of them. After a failure
   * what was resolved is committed too, as kafkajs's own auto-commit does, so a dead-lettered
   * message is not dead-lettered again.
   */
  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    // The latest batch's: after kafkajs restarts a crashed consumer, an older one's group is gone.
    commitNow = () => payload.commitOffsetsIfNecessary();
    let failed = true;
    try {
      await handleBatch(payload);
      failed = false;
    } finally {
      if (failed || stopping || commitAtOnce || Date.now() - lastCommitAt >= commitIntervalMs) {
        await commitResolved().catch((err) => {
          if (!failed) throw err;
        });
      } else {
        scheduleCommit();
      }
    }
  }

  /** Commits what is resolved once the interval since the last commit is up. */
  function scheduleCommit(): void {
    if (commitTimer) return;
    commitTimer = setTimeout(
      () => {
        commitTimer = undefined;
        // A commit lost here (a rebalance, a broker away) only means a redelivery the inbox skips.
        commitResolved().catch((err) => log.debug({ err }, "offset commit failed; the next one covers it"));
      },
      Math.max(0, lastCommitAt + commitIntervalMs - Date.now()),
    );
  }

  async function handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const receivedAt = Date.now();
    const delivery = metrics.delivery.labels({ group: opts.groupId, topic: batch.topic });
    for (const message of batch.messages) {
      // A clock behind the producer's would give a negative time: counted as none.
      delivery.observe(Math.max(0, receivedAt - Number(message.timestamp)) / 1000);
    }
    const refs = batch.messages.map((message) => ({
      topic: batch.topic,
      partition: batch.partition,
      message,
    }));
    let i = 0;
    // After a run fails at message k, the next run takes only the k messages before it.
    let limit = maxPerTx;
    while (i < refs.length && isRunning() && !isStale()) {
      const group: Item[] = [];
      while (i + group.length < refs.length && group.length < limit) {
        const decoded = await decode(refs[i + group.length]!);
        if ("skip" in decoded) {
          if (group.length === 0) {
            resolveOffset(decoded.ref.message.offset);
            i += 1;
            continue;
          }
          break;
        }
        group.push(decoded);
      }
      if (group.length === 0) continue;
      if (group.length > 1) {
        const { done, failedAt } = await applyTogether(group);
        for (let k = 0; k < done; k++) resolveOffset(group[k]!.ref.message.offset);
        i += done;
        limit = done > 0 || failedAt === 0 ? maxPerTx : failedAt;
        if (done > 0 || failedAt > 0) {
          await heartbeat();
          continue;
        }
      }
      const first = group[0]!;
      await applyAlone(first.ref, first.event, first.handler, heartbeat);
      resolveOffset(first.ref.message.offset);
      i += 1;
      await heartbeat();
    }
    // What is left behind this batch's last handled message (0 once the partition is drained).
    const handled = i > 0 ? BigInt(refs[i - 1]!.message.offset) + 1n : BigInt(batch.firstOffset() ?? "0");
    metrics.lag.set(
      { group: opts.groupId, topic: batch.topic, partition: String(batch.partition) },
      Math.max(0, Number(BigInt(batch.highWatermark) - handled)),
    );
  }

  return {
    groupId,
    topics,
    deadLetterTopic: dlq,
    /** Creates the topics, joins the group, and resolves once partitions are assigned. */
    async start(): Promise<void> {
      await ensureTopics(
        opts.kafka,
        [...topics, dlq].map((topic) => ({ topic })),
      );
      const joinedNow = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`consumer ${groupId} did not join within ${opts.joinTimeoutMs ?? 60_000} ms`)),
          opts.joinTimeoutMs ?? 60_000,
        );
        const off = consumer.on(consumer.events.GROUP_JOIN, () => {
          clearTimeout(timer);
          off();
          resolve();
        });
      });
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: true });
      await consumer.run({
        partitionsConsumedConcurrently: opts.partitionsConsumedConcurrently ?? 6,
        eachBatchAutoResolve: false,
        // Offsets are committed by `eachBatch`, shared among partitions; with kafkajs's auto-commit
        // every batch sent its own OffsetCommit. A threshold of 1 makes `commitOffsetsIfNecessary`
        // commit whatever is resolved and not yet committed.
        autoCommit: false,
        autoCommitThreshold: 1,
        eachBatch,
      });
      await joinedNow;
      log.info({ topics }, "consumer joined its group");
    },
    /** Finishes the message in flight, commits, leaves the group. */
    async stop(): Promise<void> {
      stopping = true;
      clearTimeout(commitTimer);
      commitTimer = undefined;
      // What finished batches resolved; a batch still in flight commits its own (`stopping`).
      await commitResolved().catch((err) => log.warn({ err }, "offset commit at stop failed"));
      await consumer.disconnect();
      await producer?.disconnect().catch(() => {});
    },
    isReady(): boolean {
      return joined && !crashed && !stopping;
    },
  };
}

export type EventConsumer = ReturnType<typeof createEventConsumer>;
