import { type ConfigOf, commonSettings, hostPort, int, url } from "@shop/platform";

export const configSpec = {
  ...commonSettings("gateway", 8080, "GATEWAY_PORT"),
  redisUrl: url("REDIS_URL", "Redis for rate limits", ["redis:", "rediss:"], "redis://127.0.0.1:6379"),
  authGrpc: hostPort("AUTH_GRPC_ADDR", "auth service gRPC address", "127.0.0.1:50051"),
  productGrpc: hostPort("PRODUCT_GRPC_ADDR", "product service gRPC address", "127.0.0.1:50052"),
  orderGrpc: hostPort("ORDER_GRPC_ADDR", "order service gRPC address", "127.0.0.1:50053"),
  paymentGrpc: hostPort("PAYMENT_GRPC_ADDR", "payment service gRPC address", "127.0.0.1:50054"),
  notificationGrpc: hostPort(
    "NOTIFICATION_GRPC_ADDR",
    "notification service gRPC address",
    "127.0.0.1:50055",
  ),
  downstreamTimeoutMs: int("DOWNSTREAM_TIMEOUT_MS", "deadline of one downstream gRPC call", 2_000, 1),
};

export type Config = ConfigOf<typeof configSpec>;
