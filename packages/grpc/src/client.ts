import * as grpc from "@grpc/grpc-js";
import { SpanKind, withSpan } from "@shop/platform";
import type { GrpcClientCredentials } from "./credentials.js";
import { fromGrpcError } from "./errors.js";
import { injectContext } from "./trace-context.js";

export interface CallOptions {
  /** Per-call deadline; defaults to the client's. */
  deadlineMs?: number;
  /** Forwarded as the `authorization` metadata, e.g. `Bearer <jwt>`. */
  authorization?: string | undefined;
  metadata?: grpc.Metadata;
}

type Unary<F> = F extends (
  argument: infer Req,
  callback: grpc.requestCallback<infer Res>,
) => grpc.ClientUnaryCall
  ? (request: Req, opts?: CallOptions) => Promise<Res>
  : never;

/** The generated client's PascalCase methods, as promises that reject with AppError. */
export type PromiseClient<C> = {
  [K in keyof C as K extends `${Uppercase<infer First>}${string}`
    ? First extends Lowercase<First>
      ? never
      : K
    : never]: Unary<C[K]>;
} & { close(): void; raw: C };

const ROUND_ROBIN = JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] });

/**
 * A list or a DNS name may stand for several instances. One `host:port` keeps grpc-js's
 * pick_first: it queues calls while a restarted callee reconnects, where round_robin would fail
 * them at once until the connection is back.
 */
const severalInstances = (address: string) => /^(dns|ipv4|ipv6):/.test(address);

export interface ClientOptions {
  /** This service's certificate and the server it expects: `loadGrpcCredentials(config).client("product")`. */
  credentials: GrpcClientCredentials;
  deadlineMs?: number;
}

/**
 * A client on a keep-alive channel; every call gets a deadline, trace context and an AppError on failure.
 * `Ctor` is a service constructor from `protos()`. `address` may name several instances: a DNS
 * name with several records (`dns:///product-grpc:50052`, a headless Service) or a list
 * (`ipv4:127.0.0.1:50052,127.0.0.1:50152`); calls then go round-robin over those that are
 * connected, and an instance whose connection fails is left out until it reconnects.
 */
export function createGrpcClient<C extends grpc.Client>(
  Ctor: new (address: string, creds: grpc.ChannelCredentials, options?: grpc.ClientOptions) => C,
  address: string,
  opts: ClientOptions,
): PromiseClient<C> {
  const client = new Ctor(address, opts.credentials.credentials, {
    ...opts.credentials.options,
    "grpc.keepalive_time_ms": 30_000,
    "grpc.keepalive_timeout_ms": 5_000,
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.enable_retries": 0,
    ...(severalInstances(address) && { "grpc.service_config": ROUND_ROBIN }),
  });
  const defaultDeadline = opts.deadlineMs ?? 5_000;
  const methods = Object.keys(Object.getPrototypeOf(client)).filter((k) => /^[A-Z]/.test(k));
  const out: Record<string, unknown> = {
    close: () => client.close(),
    raw: client,
  };
  for (const method of methods) {
    out[method] = (request: unknown, call: CallOptions = {}) =>
      withSpan(
        `grpc ${method}`,
        { kind: SpanKind.CLIENT, attributes: { "rpc.method": method } },
        () =>
          new Promise((resolve, reject) => {
            const metadata = call.metadata?.clone() ?? new grpc.Metadata();
            if (call.authorization) metadata.set("authorization", call.authorization);
            injectContext(metadata);
            const deadline = new Date(Date.now() + (call.deadlineMs ?? defaultDeadline));
            const fn = (client as unknown as Record<string, (...args: unknown[]) => unknown>)[method]!;
            fn.call(client, request, metadata, { deadline }, (err: grpc.ServiceError | null, res: unknown) =>
              err ? reject(fromGrpcError(err, method)) : resolve(res),
            );
          }),
      );
  }
  return out as PromiseClient<C>;
}

/** Resolves when the channel is connected, or rejects after `timeoutMs`. */
export function waitForReady(client: grpc.Client, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) =>
    client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve())),
  );
}
