import type * as grpc from "@grpc/grpc-js";
import { type Context, context, propagation } from "@opentelemetry/api";

/** Reads W3C trace context from incoming metadata (a no-op until an SDK registers a propagator). */
export function extractContext(metadata: grpc.Metadata): Context {
  return propagation.extract(context.active(), metadata, {
    keys: (m) => Object.keys(m.getMap()),
    get: (m, key) => {
      const v = m.get(key)[0];
      return typeof v === "string" ? v : undefined;
    },
  });
}

/** Writes the active trace context into outgoing metadata. */
export function injectContext(metadata: grpc.Metadata): void {
  propagation.inject(context.active(), metadata, { set: (m, key, value) => m.set(key, value) });
}
