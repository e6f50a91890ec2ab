import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { ProtoGrpcType as AuthProto } from "./generated/auth.js";
import type { ProtoGrpcType as HealthProto } from "./generated/health.js";
import type { ProtoGrpcType as NotificationProto } from "./generated/notification.js";
import type { ProtoGrpcType as OrderProto } from "./generated/order.js";
import type { ProtoGrpcType as PaymentProto } from "./generated/payment.js";
import type { ProtoGrpcType as ProductProto } from "./generated/product.js";

/** The repository's `protos/` folder (this file lives in packages/grpc/{src,dist}). */
export const PROTO_DIR = fileURLToPath(new URL("../../../protos/", import.meta.url));

/** Must match the flags given to proto-loader-gen-types in package.json. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

function load<T>(file: string): T {
  return grpc.loadPackageDefinition(protoLoader.loadSync(file, LOADER_OPTIONS)) as unknown as T;
}

let cache: ReturnType<typeof loadAll> | undefined;

function loadAll() {
  return {
    auth: load<AuthProto>("shop/auth.proto").shop.auth.v1,
    product: load<ProductProto>("shop/product.proto").shop.product.v1,
    order: load<OrderProto>("shop/order.proto").shop.order.v1,
    payment: load<PaymentProto>("shop/payment.proto").shop.payment.v1,
    notification: load<NotificationProto>("shop/notification.proto").shop.notification.v1,
    health: load<HealthProto>("grpc/health/v1/health.proto").grpc.health.v1,
  };
}

/** Service constructors and definitions for every internal API, loaded once. */
export function protos() {
  cache ??= loadAll();
  return cache;
}
