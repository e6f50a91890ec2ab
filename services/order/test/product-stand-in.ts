import { createGrpcServer, loadGrpcCredentials, protos } from "@shop/grpc";
import { AppError, createLogger, createMetricsRegistry } from "@shop/platform";
import { testTlsConfig } from "@shop/testkit";

export interface StandInProduct {
  id: string;
  name: string;
  priceCents: number;
  currency: string;
  /** 1 unless a test sets it. */
  version?: number;
}

/**
 * A real gRPC ProductService on an ephemeral port that answers GetProducts from `products`
 * (the real product service belongs to another component). Tests add the products they use.
 */
export async function startProductStandIn() {
  const products = new Map<string, StandInProduct>();
  /** The ids of every GetProducts call, in order. */
  const calls: string[][] = [];
  const server = createGrpcServer({
    logger: createLogger({ service: "product-stand-in", level: "silent" }),
    metrics: createMetricsRegistry("product-stand-in"),
    credentials: loadGrpcCredentials(testTlsConfig("product")).server(["order"]),
  });
  const unimplemented = async (): Promise<never> => {
    throw AppError.unavailable("not part of the stand-in");
  };
  server.addService(protos().product.ProductService.service, {
    GetProducts: async (req) => {
      calls.push([...req.ids]);
      if (standIn.failing) throw AppError.unavailable("the stand-in is failing");
      return {
        items: req.ids.flatMap((id) => {
          const p = products.get(id);
          if (!p) return [];
          const now = new Date().toISOString();
          const rest = {
            description: "",
            stock: 10,
            reserved: 0,
            sold: 0,
            version: p.version ?? 1,
            createdAt: now,
            updatedAt: now,
          };
          return [{ ...p, sku: `sku-${p.id}`, ...rest }];
        }),
      };
    },
    GetProduct: unimplemented,
    ListProducts: unimplemented,
    CreateProduct: unimplemented,
    UpdateProduct: unimplemented,
    DeleteProduct: unimplemented,
  });
  const port = await server.listen("127.0.0.1", 0);
  const standIn = {
    address: `127.0.0.1:${port}`,
    products,
    calls,
    /** While true, GetProducts fails as an unreachable product service would. */
    failing: false,
    stop: () => server.shutdown(1_000),
  };
  return standIn;
}
