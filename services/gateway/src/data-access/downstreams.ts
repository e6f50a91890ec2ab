import { createGrpcClient, type GrpcCredentials, type PromiseClient, protos } from "@shop/grpc";
import type { Config } from "../config.js";

type HealthClient = PromiseClient<InstanceType<ReturnType<typeof protos>["health"]["Health"]>>;
export type DownstreamHealth = Record<string, HealthClient>;

/** gRPC health clients of every downstream service, for readiness (over the same mutual TLS). */
export function createDownstreamHealth(
  config: Pick<
    Config,
    "authGrpc" | "productGrpc" | "orderGrpc" | "paymentGrpc" | "notificationGrpc" | "downstreamTimeoutMs"
  >,
  credentials: Pick<GrpcCredentials, "client">,
): DownstreamHealth {
  const { Health } = protos().health;
  const addresses = {
    auth: config.authGrpc,
    product: config.productGrpc,
    order: config.orderGrpc,
    payment: config.paymentGrpc,
    notification: config.notificationGrpc,
  };
  return Object.fromEntries(
    Object.entries(addresses).map(([name, address]) => [
      name,
      createGrpcClient(Health, address, {
        credentials: credentials.client(name),
        deadlineMs: config.downstreamTimeoutMs,
      }),
    ]),
  );
}
