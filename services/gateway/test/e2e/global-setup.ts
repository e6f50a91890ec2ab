import { type Stack, startStack } from "@shop/testkit";
import type { TestProject } from "vitest/node";
import { startMailSink } from "./mail-sink.js";
import { startOtlpReceiver } from "./otlp-receiver.js";

declare module "vitest" {
  export interface ProvidedContext {
    gatewayUrl: string;
    admin: { email: string; password: string };
    databases: Record<string, string>;
    topicPrefix: string;
    servicePorts: Record<string, number>;
    otlpUrl: string;
    /** Where the mail sink keeps the emails the notification service sent (see mailTo). */
    mailDir: string;
  }
}

let stack: Stack | undefined;

export default async function setup(project: TestProject) {
  const otlp = await startOtlpReceiver();
  project.provide("otlpUrl", otlp.url);
  // A real SMTP peer: one-time codes reach the customer by email only (never stored or logged).
  const mail = await startMailSink();
  project.provide("mailDir", mail.dir);
  stack = await startStack({
    serviceEnv: { notification: { SMTP_HOST: "127.0.0.1", SMTP_PORT: String(mail.port) } },
    env: {
      SAGA_TIMEOUT_MS: "60000",
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_BSP_SCHEDULE_DELAY: "200",
      // Far longer than any test: a product read through the gateway is fresh only if the
      // product service's change announcements reach the gateway's near cache.
      PRODUCT_CACHE_TTL_MS: "600000",
    },
  });
  project.provide("gatewayUrl", stack.gatewayUrl);
  project.provide("admin", stack.admin);
  project.provide("topicPrefix", stack.topicPrefix);
  const databases: Record<string, string> = {};
  const servicePorts: Record<string, number> = {};
  for (const name of ["auth", "product", "order", "payment", "notification", "gateway"] as const) {
    const url = stack.databaseUrl(name);
    if (url) databases[name] = url;
    servicePorts[name] = stack.service(name).metricsPort;
  }
  project.provide("databases", databases);
  project.provide("servicePorts", servicePorts);
  return async () => {
    await stack?.stop();
    await otlp.close();
    await mail.close();
  };
}
