import { fileURLToPath } from "node:url";
import { type Stack, startStack } from "@shop/testkit";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    gatewayUrl: string;
    admin: { email: string; password: string };
  }
}

/** The storefront as `turbo build` leaves it; the gateway serves it from there. */
const WEB_ROOT = fileURLToPath(new URL("../../../apps/storefront/dist", import.meta.url));

let stack: Stack | undefined;

export default async function setup(project: TestProject) {
  stack = await startStack({
    env: { SAGA_TIMEOUT_MS: "60000" },
    serviceEnv: { gateway: { WEB_ROOT }, payment: { PAYMENT_FAILURE_MODE: "even-order-id" } },
  });
  project.provide("gatewayUrl", stack.gatewayUrl);
  project.provide("admin", stack.admin);
  return async () => {
    await stack?.stop();
  };
}
