import { randomBytes } from "node:crypto";
import { isSpanContextValid, trace } from "@opentelemetry/api";
import { type CallOptions, grpc } from "@shop/grpc";
import type { Identity } from "@shop/identity";
import type { FastifyInstance, FastifyRequest } from "fastify";

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

const traceparents = new WeakMap<FastifyRequest, string>();

function hasActiveSpan(): boolean {
  const active = trace.getActiveSpan()?.spanContext();
  return active !== undefined && isSpanContextValid(active);
}

/**
 * The W3C traceparent of the trace serving a request. An active OpenTelemetry span wins; without
 * an SDK the gateway continues the caller's trace id (or starts one) with a span id of its own,
 * so every response can still be joined to logs and downstream calls.
 */
export function traceparentFor(incoming: string | string[] | undefined): string {
  const active = trace.getActiveSpan()?.spanContext();
  if (active && isSpanContextValid(active)) {
    return `00-${active.traceId}-${active.spanId}-${(active.traceFlags & 0xff).toString(16).padStart(2, "0")}`;
  }
  const match = typeof incoming === "string" ? TRACEPARENT.exec(incoming.trim().toLowerCase()) : null;
  const valid = match && match[1] !== "ff" && match[2] !== ZERO_TRACE && match[3] !== ZERO_SPAN;
  const traceId = valid ? match[2]! : randomBytes(16).toString("hex");
  const flags = valid ? match[4]! : "01";
  return `00-${traceId}-${randomBytes(8).toString("hex")}-${flags}`;
}

/** Adds `traceparent` to every response (errors and 404s included) and the trace id to its logs. */
export function installTraceContext(app: FastifyInstance): void {
  app.addHook("onRequest", async (req, reply) => {
    const traceparent = traceparentFor(req.headers.traceparent);
    traceparents.set(req, traceparent);
    reply.header("traceparent", traceparent);
    // With an SDK the logger's mixin already adds the active span's ids.
    if (!hasActiveSpan()) req.log = req.log.child({ trace_id: traceparent.slice(3, 35) });
  });
}

/** Options for a downstream call: the caller's token, request id and trace context. */
export function callOptions(req: FastifyRequest, identity?: Identity): CallOptions {
  const metadata = new grpc.Metadata();
  metadata.set("x-request-id", req.id);
  const traceparent = traceparents.get(req);
  if (traceparent) metadata.set("traceparent", traceparent);
  return { authorization: identity ? `Bearer ${identity.token}` : undefined, metadata };
}
