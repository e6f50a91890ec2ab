import { createGrpcServer, protos } from "@shop/grpc";
import { AppError, createLogger, createMetricsRegistry } from "@shop/platform";

export interface StandInProduct {
  id: string;
  name: string;
  priceCents: number;
  currency: string;
}

/**
 * A real gRPC ProductService on an ephemeral port that answers GetProducts from `products`
 * (the real product service belongs to another component). Tests add the products they use.
 */
export async function startProductStandIn() {
  const products = new Map<string, StandInProduct>();
  const server = createGrpcServer({
    logger: createLogger({ service: "product-stand-in", level: "silent" }),
    metrics: createMetricsRegistry("product-stand-in"),
  });
  const unimplemented = async (): Promise<never> => {
    throw AppError.unavailable("not part of the stand-in");
  };
  server.addService(protos().product.ProductService.service, {
    GetProducts: async (req) => ({
      items: req.ids.flatMap((id) => {
        const p = products.get(id);
        if (!p) return [];
        const now = new Date().toISOString();
        const rest = {
          description: "",
          stock: 10,
          reserved: 0,
          sold: 0,
          version: 1,
          createdAt: now,
          updatedAt: now,
        };
        return [{ ...p, sku: `sku-${p.id}`, ...rest }];
      }),
    }),
    GetProduct: unimplemented,
    ListProducts: unimplemented,
    CreateProduct: unimplemented,
    UpdateProduct: unimplemented,
    DeleteProduct: unimplemented,
  });
  const port = await server.listen("127.0.0.1", 0);
  return {
    address: `127.0.0.1:${port}`,
    products,
    stop: () => server.shutdown(1_000),
  };
}
