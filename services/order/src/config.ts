import { PRODUCT_CHANGES_CHANNEL } from "@shop/events";
import { grpcCallerSettings, grpcTlsSettings } from "@shop/grpc";
import { relaySettings } from "@shop/outbox";
import {
  accessTokenSettings,
  type ConfigOf,
  commonSettings,
  databaseSettings,
  grpcSettings,
  hostPort,
  int,
  kafkaSettings,
  str,
  url,
} from "@shop/platform";

export const configSpec = {
  ...commonSettings("order", 8083),
  ...grpcSettings(50053),
  ...grpcTlsSettings(),
  ...grpcCallerSettings(["gateway"]),
  ...databaseSettings("shop_order"),
  ...kafkaSettings(),
  ...relaySettings(),
  ...accessTokenSettings(),
  productGrpc: hostPort("PRODUCT_GRPC_ADDR", "product service gRPC address", "127.0.0.1:50052"),
  productTimeoutMs: int("PRODUCT_TIMEOUT_MS", "deadline of one call to the product service", 2_000, 1),
  redisUrl: url(
    "REDIS_URL",
    "Redis, whose product change announcements keep the price cache fresh (while it is down, every order asks the product service)",
    ["redis:", "rediss:"],
    "redis://127.0.0.1:6379",
  ),
  catalogCacheTtlMs: int(
    "CATALOG_CACHE_TTL_MS",
    "longest an order is priced from memory without asking the product service; an announced change to a product's name, price or existence drops it sooner (0 turns the cache off)",
    10_000,
    0,
    3_600_000,
  ),
  catalogCacheMaxEntries: int(
    "CATALOG_CACHE_MAX_ENTRIES",
    "products whose prices are kept in memory at most (the oldest go first)",
    10_000,
    1,
  ),
  productChangesChannel: str(
    "PRODUCT_CHANGES_CHANNEL",
    "Redis pub/sub channel of the product service's change announcements; the price cache listens to its catalog companion (<channel>:catalog)",
    PRODUCT_CHANGES_CHANNEL,
  ),
  sagaTimeoutMs: int(
    "SAGA_TIMEOUT_MS",
    "an order still in flight this long after creation is cancelled (TIMEOUT)",
    60_000,
    1,
  ),
  sagaSweepIntervalMs: int("SAGA_SWEEP_INTERVAL_MS", "how often stuck orders are looked for", 5_000, 10),
  sagaSweepBatchSize: int(
    "SAGA_SWEEP_BATCH_SIZE",
    "most stuck orders cancelled per transaction",
    100,
    1,
    10_000,
  ),
};

export type Config = ConfigOf<typeof configSpec>;
