import type { Logger } from "@shop/platform";
import { Kafka, type KafkaConfig, logLevel } from "kafkajs";

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** Extra kafkajs settings (retry, timeouts). */
  config?: Partial<KafkaConfig>;
}

const levels: Record<number, "error" | "warn" | "info" | "debug"> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

/** A kafkajs client that logs through pino. Coordinator-loading noise at broker start is debug. */
export function createKafka(opts: KafkaOptions): Kafka {
  const log = opts.logger.child({ component: "kafka" });
  return new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    connectionTimeout: 3_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 5_000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...extra } = entry;
        const transient = /coordinator is (loading|not available)|not the correct coordinator/i.test(
          `${message} ${String(extra.error ?? "")}`,
        );
        log[transient ? "debug" : (levels[level] ?? "info")](extra, message);
      },
    ...opts.config,
  });
}
