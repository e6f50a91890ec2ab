import { createGrpcClient, type PromiseClient, protos } from "@shop/grpc";
import type { Config } from "../config.js";

type Protos = ReturnType<typeof protos>;
export type AuthClient = PromiseClient<InstanceType<Protos["auth"]["AuthService"]>>;
export type ProductClient = PromiseClient<InstanceType<Protos["product"]["ProductService"]>>;
export type OrderClient = PromiseClient<InstanceType<Protos["order"]["OrderService"]>>;
export type PaymentClient = PromiseClient<InstanceType<Protos["payment"]["PaymentService"]>>;
export type NotificationClient = PromiseClient<InstanceType<Protos["notification"]["NotificationService"]>>;

/** Every downstream the gateway calls, one client (and keep-alive channel) each. */
export interface DownstreamClients {
  auth: AuthClient;
  product: ProductClient;
  order: OrderClient;
  payment: PaymentClient;
  notification: NotificationClient;
}

export type ServiceName = keyof DownstreamClients;

/** Creates the clients once per process; `closeDownstreamClients` closes their channels. */
export function createDownstreamClients(
  config: Pick<
    Config,
    "authGrpc" | "productGrpc" | "orderGrpc" | "paymentGrpc" | "notificationGrpc" | "downstreamTimeoutMs"
  >,
): DownstreamClients {
  const p = protos();
  const opts = { deadlineMs: config.downstreamTimeoutMs };
  return {
    auth: createGrpcClient(p.auth.AuthService, config.authGrpc, opts),
    product: createGrpcClient(p.product.ProductService, config.productGrpc, opts),
    order: createGrpcClient(p.order.OrderService, config.orderGrpc, opts),
    payment: createGrpcClient(p.payment.PaymentService, config.paymentGrpc, opts),
    notification: createGrpcClient(p.notification.NotificationService, config.notificationGrpc, opts),
  };
}

export function closeDownstreamClients(clients: DownstreamClients): void {
  for (const client of Object.values(clients)) client.close();
}
