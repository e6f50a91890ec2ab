import {
  type Context,
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";

export type { Context, Span };
export { context, propagation, SpanKind, SpanStatusCode, trace };

export interface TracingOptions {
  serviceName: string;
  /** OTLP/HTTP base URL (e.g. http://jaeger:4318); no export when empty. */
  otlpEndpoint?: string | undefined;
  /** An exporter of the caller's (tests read spans from an in-memory one). */
  exporter?: SpanExporter;
}

let provider: BasicTracerProvider | undefined;

/**
 * Trace context always flows (W3C headers in, out, and through Kafka), so logs and responses
 * carry trace ids even when nothing is exported; spans leave the process only with an OTLP
 * endpoint or an exporter. Call once, first thing in main.
 */
export function initTracing(opts: TracingOptions): { shutdown: () => Promise<void> } {
  const processors: SpanProcessor[] = [];
  if (opts.exporter) processors.push(new SimpleSpanProcessor(opts.exporter));
  if (opts.otlpEndpoint) {
    const url = `${opts.otlpEndpoint.replace(/\/$/, "")}/v1/traces`;
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
  }
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": opts.serviceName }),
    spanProcessors: processors,
    // With nowhere to send spans, new traces are not recorded (their ids are still made and
    // propagated, flag 00); a caller's sampling decision is still honoured.
    sampler: new ParentBasedSampler({
      root: processors.length > 0 ? new AlwaysOnSampler() : new AlwaysOffSampler(),
    }),
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    shutdown: async () => {
      await provider?.shutdown();
    },
  };
}

export function tracer(): Tracer {
  return trace.getTracer("shop-saga");
}

/** `00-<trace id>-<span id>-<flags>` of a span, for the `traceparent` response header. */
export function traceparentOf(span: Span): string | undefined {
  const ctx = span.spanContext();
  if (!trace.isSpanContextValid(ctx)) return undefined;
  return `00-${ctx.traceId}-${ctx.spanId}-0${(ctx.traceFlags & 1).toString(16)}`;
}

/** Runs `fn` in a new active span (ended when `fn` settles), recording a thrown error. */
export async function withSpan<T>(
  name: string,
  opts: { kind?: SpanKind; parent?: Context; attributes?: Record<string, string | number | boolean> },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = opts.parent ?? context.active();
  const span = tracer().startSpan(
    name,
    { kind: opts.kind ?? SpanKind.INTERNAL, attributes: opts.attributes },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => fn(span));
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
    throw err;
  } finally {
    span.end();
  }
}
