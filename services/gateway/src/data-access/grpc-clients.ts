import { createGrpcClient, type GrpcCredentials, type PromiseClient, protos } from "@shop/grpc";
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

/**
 * Creates the clients once per process; `closeDownstreamClients` closes their channels. Each
 * shows the gateway's certificate and expects the certificate of the service it dials.
 */
export function createDownstreamClients(
  config: Pick<
    Config,
    "authGrpc" | "productGrpc" | "orderGrpc" | "paymentGrpc" | "notificationGrpc" | "downstreamTimeoutMs"
  >,
  credentials: Pick<GrpcCredentials, "client">,
): DownstreamClients {
  const p = protos();
  const opts = (service: ServiceName) => ({
    credentials: credentials.client(service),
    deadlineMs: config.downstreamTimeoutMs,
  });
  return {
    auth: createGrpcClient(p.auth.AuthService, config.authGrpc, opts("auth")),
    product: createGrpcClient(p.product.ProductService, config.productGrpc, opts("product")),
    order: createGrpcClient(p.order.OrderService, config.orderGrpc, opts("order")),
    payment: createGrpcClient(p.payment.PaymentService, config.paymentGrpc, opts("payment")),
    notification: createGrpcClient(
      p.notification.NotificationService,
      config.notificationGrpc,
      opts("notification"),
    ),
  };
}

export function closeDownstreamClients(clients: DownstreamClients): void {
  for (const client of Object.values(clients)) client.close();
}
