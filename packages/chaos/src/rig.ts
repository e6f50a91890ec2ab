import { kafkaBrokers, type Stack, startStack } from "@shop/testkit";
import { type ApiClient, createApiClient } from "./api-client.js";
import { createObserver, type Observer } from "./observer.js";
import { type OwnBroker, type OwnRedis, startOwnBroker, startOwnRedis } from "./own-infra.js";
import { type SeedOptions, type Shop, seedShop } from "./seed.js";

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
  observer: Observer;
  api: ApiClient;
  shop: Shop;
  brokers: string[];
  broker?: OwnBroker;
  redis?: OwnRedis;
  close: () => Promise<void>;
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
  const close = async () => {
    await observer?.close().catch(() => {});
    await stack?.stop().catch(() => {});
    await redis?.dispose().catch(() => {});
    await broker?.dispose().catch(() => {});
  };
  try {
    stack = await startStack({
      env: {
        // The load is many orders from few customers: rate limits are not under test here.
        RATE_LIMIT_MAX: "1000000",
        ...(broker ? { KAFKA_BROKERS: broker.brokers } : {}),
        ...(redis ? { REDIS_URL: redis.url } : {}),
        ...opts.env,
      },
    });
    observer = createObserver(stack, brokers);
    const api = createApiClient(stack.gatewayUrl);
    const shop = await seedShop(api, { admin: stack.admin, ...opts.seed });
    return { stack, observer, api, shop, brokers, broker, redis, close };
  } catch (err) {
    await close();
    throw err;
  }
}
