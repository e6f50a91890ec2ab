import { type CallContext, createGrpcServer, loadGrpcCredentials, protos } from "@shop/grpc";
import { createLogger, createMetricsRegistry } from "@shop/platform";
import { testTlsConfig } from "@shop/testkit";

/**
 * The certificate name of every stub: one stub stands in for several services at one address, so
 * the test gateway expects this name from all of them (see `stubCredentials`).
 */
export const STUB_NAME = "downstream-stub";

// biome-ignore lint/suspicious/noExplicitAny: stub handlers take whatever the proto sends
type Handler = (request: any, ctx: CallContext) => Promise<unknown>;
export type StubHandlers = Record<string, Handler>;

export interface StubServices {
  auth?: StubHandlers;
  product?: StubHandlers;
  order?: StubHandlers;
  payment?: StubHandlers;
  notification?: StubHandlers;
}

const logger = createLogger({ service: "stub", level: "silent" });

/** As the real services declare them: the request fields that may hold tab and line feed. */
const FREE_TEXT: Partial<Record<keyof StubServices, Record<string, string[]>>> = {
  product: { CreateProduct: ["description"], UpdateProduct: ["description"] },
};

/**
 * A real gRPC server on an ephemeral port standing in for downstream services; each handler
 * given is served, the rest answer UNIMPLEMENTED. `calls` counts calls per method.
 */
export async function startStub(services: StubServices) {
  const server = createGrpcServer({
    logger,
    metrics: createMetricsRegistry("stub"),
    credentials: loadGrpcCredentials(testTlsConfig(STUB_NAME)).server(["gateway"]),
  });
  const p = protos();
  const definitions = {
    auth: p.auth.AuthService.service,
    product: p.product.ProductService.service,
    order: p.order.OrderService.service,
    payment: p.payment.PaymentService.service,
    notification: p.notification.NotificationService.service,
  };
  const calls: Record<string, number> = {};
  const requests: Record<string, { request: unknown; ctx: CallContext }[]> = {};
  for (const [name, handlers] of Object.entries(services) as [keyof StubServices, StubHandlers][]) {
    const counted: StubHandlers = {};
    for (const [method, handler] of Object.entries(handlers)) {
      counted[method] = (request, ctx) => {
        calls[method] = (calls[method] ?? 0) + 1;
        requests[method] = [...(requests[method] ?? []), { request, ctx }];
        return handler(request, ctx);
      };
    }
    server.addService(definitions[name], counted as never, undefined, FREE_TEXT[name]);
  }
  const port = await server.listen("127.0.0.1", 0);
  return {
    address: `127.0.0.1:${port}`,
    port,
    calls,
    requests,
    count: (method: string) => calls[method] ?? 0,
    stop: () => server.shutdown(200),
  };
}

export type Stub = Awaited<ReturnType<typeof startStub>>;
