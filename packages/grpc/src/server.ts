import * as grpc from "@grpc/grpc-js";
import { isAppError, type Logger, SpanKind, withSpan } from "@shop/platform";
import { Counter, Histogram, type Registry } from "prom-client";
import { type FreeTextFields, rejectControlCharacters } from "./control-characters.js";
import type { GrpcServerCredentials } from "./credentials.js";
import { toGrpcError } from "./errors.js";
import { createHealth } from "./health.js";
import { protos } from "./protos.js";
import { extractContext } from "./trace-context.js";

export interface CallContext {
  metadata: grpc.Metadata;
  /** Milliseconds left before the caller's deadline (Infinity when none was set). */
  remainingMs: () => number;
  log: Logger;
  /** The raw `authorization` metadata value, if any. */
  authorization: string | undefined;
}

/** A promise-returning handler per method: input message in, output message out. */
export type UnaryHandlers<Def extends grpc.ServiceDefinition> = {
  [M in keyof Def]: Def[M] extends grpc.MethodDefinition<infer _ReqIn, infer ResOut> & {
    requestDeserialize: (b: Buffer) => infer ReqOut;
  }
    ? (request: ReqOut, ctx: CallContext) => Promise<ResOut>
    : never;
};

export interface GrpcServerOptions {
  logger: Logger;
  metrics: Registry;
  /** How callers are authenticated: `loadGrpcCredentials(config).server(allowedCallers)`. */
  credentials: GrpcServerCredentials;
  /** Largest message accepted, bytes. */
  maxMessageBytes?: number;
}

/**
 * One way to serve gRPC everywhere: promise handlers, errors mapped once, RED metrics,
 * trace context from metadata, grpc.health.v1, and a graceful shutdown.
 */
export function createGrpcServer(opts: GrpcServerOptions) {
  const server = new grpc.Server({
    "grpc.max_receive_message_length": opts.maxMessageBytes ?? 4 * 1024 * 1024,
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.http2.min_ping_interval_without_data_ms": 10_000,
    interceptors: opts.credentials.interceptors,
  });
  const health = createHealth();
  server.addService(protos().health.Health.service, health.handlers);

  const handled = new Counter({
    name: "grpc_server_handled_total",
    help: "gRPC calls handled, by method and status code",
    labelNames: ["method", "code"],
    registers: [opts.metrics],
  });
  const duration = new Histogram({
    name: "grpc_server_handling_seconds",
    help: "gRPC call duration by method",
    labelNames: ["method"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [opts.metrics],
  });

  function wrap(
    method: string,
    handler: (req: unknown, ctx: CallContext) => Promise<unknown>,
    freeText: readonly string[] | undefined,
  ) {
    return (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const end = duration.startTimer({ method });
      const deadline = call.getDeadline();
      const deadlineMs = deadline instanceof Date ? deadline.getTime() : Number(deadline);
      const auth = call.metadata.get("authorization")[0];
      const ctx: CallContext = {
        metadata: call.metadata,
        remainingMs: () => (Number.isFinite(deadlineMs) ? deadlineMs - Date.now() : Number.POSITIVE_INFINITY),
        log: opts.logger.child({ grpcMethod: method }),
        authorization: typeof auth === "string" ? auth : undefined,
      };
      withSpan(
        `grpc ${method}`,
        {
          kind: SpanKind.SERVER,
          parent: extractContext(call.metadata),
          attributes: { "rpc.method": method },
        },
        async () => {
          // Defence in depth: no service stores or compares text with control characters in it.
          rejectControlCharacters(call.request, freeText);
          return handler(call.request, ctx);
        },
      )
        .then(
          (res) => {
            handled.inc({ method, code: "OK" });
            callback(null, res);
          },
          (err: unknown) => {
            const status = toGrpcError(err);
            handled.inc({ method, code: grpc.status[status.code ?? 2] ?? "UNKNOWN" });
            if (!isAppError(err) || err.kind === "INTERNAL") ctx.log.error({ err }, "grpc call failed");
            callback(status as grpc.ServiceError);
          },
        )
        .finally(end);
    };
  }

  return {
    server,
    health,
    addService<Def extends grpc.ServiceDefinition>(
      definition: Def,
      handlers: UnaryHandlers<Def>,
      serviceName?: string,
      /** Request fields per method that may hold tab and line feed (free text such as a description). */
      freeText?: Partial<Record<keyof Def & string, readonly string[]>>,
    ) {
      const impl: grpc.UntypedServiceImplementation = {};
      const allowed = (freeText ?? {}) as FreeTextFields;
      for (const [name, handler] of Object.entries(handlers)) {
        impl[name] = wrap(
          name,
          handler as (req: unknown, ctx: CallContext) => Promise<unknown>,
          allowed[name],
        );
      }
      server.addService(definition, impl);
      if (serviceName) health.set(serviceName, "SERVING");
    },
    /** Binds and starts serving; resolves with the bound port (pass 0 for an ephemeral one). */
    listen(host: string, port: number): Promise<number> {
      return new Promise((resolve, reject) => {
        server.bindAsync(`${host}:${port}`, opts.credentials.credentials, (err, bound) =>
          err ? reject(err) : resolve(bound),
        );
      });
    },
    /** Stops taking calls, lets in-flight ones finish within `timeoutMs`, then cuts the rest. */
    shutdown(timeoutMs: number): Promise<void> {
      health.setAll("NOT_SERVING");
      health.endWatches();
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, timeoutMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}

export type GrpcServer = ReturnType<typeof createGrpcServer>;
