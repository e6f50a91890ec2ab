export * as grpc from "@grpc/grpc-js";
export * from "./client.js";
export * from "./credentials.js";
export * from "./errors.js";
export * from "./health.js";
export * from "./protos.js";
export * from "./server.js";
export * from "./trace-context.js";
