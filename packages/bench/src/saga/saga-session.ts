import type { Logger } from "@shop/platform";
import { createHttpClient, type HttpClient } from "../load/http-client.js";
import type { Progress } from "../report/progress.js";
import { waitForConsumers } from "./consumer-lag.js";
import { createSagaLoad } from "./saga-load.js";
import { createProducts, login, registerCustomers } from "./seed.js";
import { startTerminalWatcher } from "./terminal-watcher.js";

/**
 * Everything a saga run needs against one gateway: an API client, an admin token, products with
 * stock for the whole run, signed-in customers and the Kafka watcher of terminal events.
 */
export async function openSagaSession(opts: {
  gatewayUrl: string;
  admin: { email: string; password: string };
  brokers: string[];
  topicPrefix: string;
  connections: number;
  timeoutMs: number;
  customers: number;
  products: number;
  logger: Logger;
  progress: Progress;
}) {
  const api: HttpClient = createHttpClient(opts.gatewayUrl, {
    connections: opts.connections,
    timeoutMs: opts.timeoutMs,
  });
  const adminToken = await login(api, opts.admin.email, opts.admin.password);
  const productIds = await createProducts(api, adminToken, opts.products, 1_000_000_000);
  opts.progress.say(`created ${productIds.length} products; registering ${opts.customers} customers`);
  const customers = await registerCustomers(api, opts.customers);
  const load = createSagaLoad({ api, customers, productIds, progress: opts.progress.update });
  const watcher = await startTerminalWatcher({
    brokers: opts.brokers,
    topicPrefix: opts.topicPrefix,
    logger: opts.logger,
    onTerminal: load.onTerminal,
  });
  return {
    api,
    customers,
    productIds,
    load,
    /** Waits for the services' consumers to drain their backlog; returns the messages left. */
    settle: (maxMs: number) => waitForConsumers(watcher.kafka, opts.topicPrefix, maxMs),
    async close() {
      await watcher.stop().catch(() => {});
      await api.close().catch(() => {});
    },
  };
}

export type SagaSession = Awaited<ReturnType<typeof openSagaSession>>;
