import { CONSUMER_GROUPS, deadLetterTopic, topicName } from "@shop/events";
import { createKafka, ensureTopics } from "@shop/kafka";
import { createLogger } from "@shop/platform";
import { kafkaBrokers, type Stack, startStack, uniqueTopicPrefix } from "@shop/testkit";
import { type ApiClient, createApiClient } from "./api-client.js";
import { createObserver, type Observer, SAGA_TOPICS } from "./observer.js";
import { type OwnBroker, type OwnRedis, startOwnBroker, startOwnRedis } from "./own-infra.js";
import { type SeedOptions, type Shop, seedShop } from "./seed.js";
import { createSupervisor, type Supervisor } from "./supervisor.js";

export interface RigOptions {
  /** A Kafka broker of the rig's own (needed to stop the broker). */
  ownBroker?: boolean;
  /** A Redis of the rig's own (needed to stop Redis). */
  ownRedis?: boolean;
  env?: Record<string, string>;
  seed?: Omit<SeedOptions, "admin">;
}

export interface Rig {
  stack: Stack;
  topicPrefix: string;
  observer: Observer;
  api: ApiClient;
  shop: Shop;
  supervisor: Supervisor;
  brokers: string[];
  broker?: OwnBroker;
  redis?: OwnRedis;
  close: () => Promise<void>;
}

/**
 * The saga topics and dead-letter topics, created one after another before the services start:
 * services creating the same new topics at once can fail their start (see the report on
 * ensure-topics-race.test.ts), which is not what these scenarios are about.
 */
async function createTopics(brokers: string[], prefix: string) {
  const kafka = createKafka({
    brokers,
    clientId: "chaos-setup",
    logger: createLogger({ service: "chaos", level: "silent" }),
  });
  await ensureTopics(kafka, [
    ...SAGA_TOPICS.map((k) => ({ topic: topicName(k, prefix) })),
    ...Object.keys(CONSUMER_GROUPS).map((g) => ({ topic: deadLetterTopic(g, prefix) })),
  ]);
}

/**
 * The whole platform as real processes (testkit's stack: own databases, ports, topic prefix),
 * optionally on a broker and a Redis of its own, with customers and a catalogue seeded.
 */
export async function openRig(opts: RigOptions = {}): Promise<Rig> {
  const broker = opts.ownBroker ? await startOwnBroker() : undefined;
  const redis = opts.ownRedis
    ? await startOwnRedis().catch(async (e) => {
        await broker?.dispose();
        throw e;
      })
    : undefined;
  const brokers = broker ? [broker.brokers] : kafkaBrokers();
  let stack: Stack | undefined;
  let observer: Observer | undefined;
  let supervisor: Supervisor | undefined;
  const close = async () => {
    await supervisor?.stop();
    await observer?.close().catch(() => {});
    await stack?.stop().catch(() => {});
    await redis?.dispose().catch(() => {});
    await broker?.dispose().catch(() => {});
  };
  const topicPrefix = uniqueTopicPrefix();
  try {
    await createTopics(brokers, topicPrefix);
    stack = await startStack({
      env: {
        KAFKA_TOPIC_PREFIX: topicPrefix,
        // Five services and the checks share one PostgreSQL server with everyone else.
        DATABASE_POOL_MAX: "5",
        // The load is many orders from few customers: rate limits are not under test here.
        RATE_LIMIT_MAX: "1000000",
        ...(broker ? { KAFKA_BROKERS: broker.brokers } : {}),
        ...(redis ? { REDIS_URL: redis.url } : {}),
        ...opts.env,
      },
    });
    observer = createObserver(stack, brokers, topicPrefix);
    supervisor = createSupervisor(stack);
    supervisor.start();
    const api = createApiClient(stack.gatewayUrl);
    const shop = await seedShop(api, { admin: stack.admin, ...opts.seed });
    return { stack, topicPrefix, observer, api, shop, supervisor, brokers, broker, redis, close };
  } catch (err) {
    await close();
    throw err;
  }
}
