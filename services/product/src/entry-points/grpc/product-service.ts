import { type CallContext, protos, type UnaryHandlers } from "@shop/grpc";
import { requireAdmin, type TokenVerifier } from "@shop/identity";
import { createProduct } from "../../domain/create-product.js";
import { deleteProduct } from "../../domain/delete-product.js";
import type { ProductDeps } from "../../domain/deps.js";
import { getProduct } from "../../domain/get-product.js";
import { getProducts } from "../../domain/get-products.js";
import { listProducts } from "../../domain/list-products.js";
import { updateProduct } from "../../domain/update-product.js";

type ProductServiceDefinition = ReturnType<typeof protos>["product"]["ProductService"]["service"];

export interface GrpcDeps extends ProductDeps {
  verifier: TokenVerifier;
}

/** Writes are for admins: the caller's bearer token arrives in the `authorization` metadata. */
async function asAdmin(deps: GrpcDeps, ctx: CallContext): Promise<void> {
  requireAdmin(await deps.verifier.verify(ctx.authorization));
}

/** The ProductService handlers: thin adapters from messages to use cases and back. */
export function productServiceHandlers(deps: GrpcDeps): UnaryHandlers<ProductServiceDefinition> {
  return {
    GetProduct: (req) => getProduct(deps, req.id),
    GetProducts: async (req) => ({ items: await getProducts(deps, req.ids) }),
    ListProducts: async (req) => {
      const page = await listProducts(deps, { q: req.q, limit: req.limit, cursor: req.cursor });
      return { items: page.items, nextCursor: page.nextCursor ?? "" };
    },
    CreateProduct: async (req, ctx) => {
      await asAdmin(deps, ctx);
      return createProduct(deps, req);
    },
    UpdateProduct: async (req, ctx) => {
      await asAdmin(deps, ctx);
      return updateProduct(deps, {
        id: req.id,
        version: req.version,
        name: req.name,
        description: req.description,
        priceCents: req.priceCents,
        stock: req.stock,
      });
    },
    DeleteProduct: async (req, ctx) => {
      await asAdmin(deps, ctx);
      await deleteProduct(deps, req.id);
      return {};
    },
  };
}

export const productServiceDefinition = () => protos().product.ProductService.service;
export const PRODUCT_SERVICE_NAME = "shop.product.v1.ProductService";
