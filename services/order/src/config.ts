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
} from "@shop/platform";

export const configSpec = {
  ...commonSettings("order", 8083),
  ...grpcSettings(50053),
  ...databaseSettings("shop_order"),
  ...kafkaSettings(),
  ...relaySettings(),
  ...accessTokenSettings(),
  productGrpc: hostPort("PRODUCT_GRPC_ADDR", "product service gRPC address", "127.0.0.1:50052"),
  productTimeoutMs: int("PRODUCT_TIMEOUT_MS", "deadline of one call to the product service", 2_000, 1),
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
