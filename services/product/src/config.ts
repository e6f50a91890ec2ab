import { PRODUCT_CHANGES_CHANNEL } from "@shop/events";
import { grpcCallerSettings, grpcTlsSettings } from "@shop/grpc";
import { relaySettings } from "@shop/outbox";
import {
  accessTokenSettings,
  type ConfigOf,
  commonSettings,
  databaseSettings,
  grpcSettings,
  int,
  kafkaSettings,
  str,
  url,
} from "@shop/platform";

export const configSpec = {
  ...commonSettings("product", 8082),
  ...grpcSettings(50052),
  ...grpcTlsSettings(),
  ...grpcCallerSettings(["gateway", "order"]),
  ...databaseSettings("shop_product"),
  ...kafkaSettings(),
  ...relaySettings(),
  redisUrl: url(
    "REDIS_URL",
    "Redis URL of the product read cache",
    ["redis:", "rediss:"],
    "redis://127.0.0.1:6379",
  ),
  cacheTtlSeconds: int("PRODUCT_CACHE_TTL_SECONDS", "longest a cached product lives", 300, 1, 86_400),
  cacheFenceTtlSeconds: int(
    "PRODUCT_CACHE_FENCE_TTL_SECONDS",
    "how long an invalidation keeps older versions out of the cache (must outlast any read)",
    60,
    1,
    3_600,
  ),
  cacheTimeoutMs: int(
    "PRODUCT_CACHE_TIMEOUT_MS",
    "a cache call slower than this falls back to the database",
    250,
    1,
    10_000,
  ),
  changesChannel: str(
    "PRODUCT_CHANGES_CHANNEL",
    "Redis pub/sub channel announcing every product change to the gateways' in-memory caches",
    PRODUCT_CHANGES_CHANNEL,
  ),
  ...accessTokenSettings(),
};

export type Config = ConfigOf<typeof configSpec>;
