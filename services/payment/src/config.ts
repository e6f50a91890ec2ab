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
  type Setting,
} from "@shop/platform";
import { FAILURE_MODE_HINT, parseFailurePolicy } from "./domain/failure-policy.js";

/** Kept as the validated string, so `describeConfig` prints it; parsed again where it is used. */
const failureMode: Setting<string> = {
  env: "PAYMENT_FAILURE_MODE",
  doc: `which simulated charges fail: ${FAILURE_MODE_HINT.replace("must be ", "")}`,
  default: "even-order-id",
  parse: (raw) => {
    parseFailurePolicy(raw);
    return raw.trim();
  },
};

export const configSpec = {
  ...commonSettings("payment", 8084),
  ...grpcSettings(50054),
  ...grpcTlsSettings(),
  ...grpcCallerSettings(["gateway"]),
  ...databaseSettings("shop_payment"),
  ...kafkaSettings(),
  ...relaySettings(),
  ...accessTokenSettings(),
  paymentFailureMode: failureMode,
  paymentLatencyMs: int(
    "PAYMENT_LATENCY_MS",
    "simulated processor latency added to each charge",
    0,
    0,
    60_000,
  ),
  cancellationsLingerMs: int(
    "PAYMENT_CANCELLATIONS_LINGER_MS",
    "how long the broker may hold a fetch of the cancellations' consumer to gather events (0: each event at once)",
    200,
    0,
    5_000,
  ),
};

export type Config = ConfigOf<typeof configSpec>;
