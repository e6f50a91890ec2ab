import { randomUUID } from "node:crypto";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifySchema,
  type FastifyServerOptions,
  LogController,
} from "fastify";
import { Histogram, type Registry } from "prom-client";
import { AppError, errorKinds } from "./errors.js";
import type { Logger } from "./logger.js";
import { PROBLEM_CONTENT_TYPE, type Problem, problem } from "./problem.js";
import {
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  traceparentOf,
  tracer,
} from "./tracing.js";

const SPAN = Symbol("span");
type WithSpan = { [SPAN]?: Span };

export type ReadinessCheck = () => Promise<unknown>;

export interface HttpAppOptions {
  logger: Logger;
  metrics: Registry;
  /** Named checks behind `/readyz`; each must resolve within `readinessTimeoutMs`. */
  readiness?: Record<string, ReadinessCheck>;
  readinessTimeoutMs?: number;
  bodyLimit?: number;
  fastify?: Pick<
    FastifyServerOptions,
    "trustProxy" | "keepAliveTimeout" | "requestTimeout" | "connectionTimeout"
  >;
}

/** Operational routes stay out of the OpenAPI document. */
const hidden = { hide: true } as FastifySchema;

const REQUEST_ID = /^[\w.:-]{1,200}$/;

/**
 * A Fastify instance with what every service shares: request ids, RED metrics, `/healthz`,
 * `/readyz`, `/metrics`, and one error handler that answers in problem+json. It never listens.
 */
export function createHttpApp(opts: HttpAppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.logger as FastifyBaseLogger,
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    // One access-log line per request comes from the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers["x-request-id"];
      return typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    ...opts.fastify,
  });

  const duration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request duration by route and status",
    labelNames: ["method", "route", "status_code"],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [opts.metrics],
  });

  // The request's span is made active for the rest of its lifecycle by continuing the hook chain
  // inside context.with; the response names it in `traceparent`.
  app.addHook("onRequest", (req, reply, done) => {
    reply.header("x-request-id", req.id);
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer().startSpan(
      `${req.method} ${req.routeOptions.url ?? "unmatched"}`,
      {
        kind: SpanKind.SERVER,
        attributes: { "http.request.method": req.method, "url.path": req.url.split("?")[0] ?? "" },
      },
      parent,
    );
    (req as WithSpan)[SPAN] = span;
    const traceparent = traceparentOf(span);
    if (traceparent) reply.header("traceparent", traceparent);
    context.with(trace.setSpan(parent, span), done);
  });
  app.addHook("onResponse", async (req, reply) => {
    const route = req.routeOptions.url ?? "unmatched";
    const span = (req as WithSpan)[SPAN];
    if (span) {
      span.setAttribute("http.response.status_code", reply.statusCode);
      span.setAttribute("http.route", route);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    duration.observe(
      { method: req.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    if (route !== "/metrics" && route !== "/healthz" && route !== "/readyz") {
      req.log.info(
        {
          method: req.method,
          url: req.url,
          route,
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
        },
        "request",
      );
    }
  });

  app.setErrorHandler((err, req, reply) => {
    const body = toProblem(err as FastifyError);
    if (body.status >= 500) req.log.error({ err }, "request failed");
    if (err instanceof AppError && err.retryAfter !== undefined) reply.header("retry-after", err.retryAfter);
    return reply.status(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
  });
  app.setNotFoundHandler((req, reply) =>
    reply
      .status(404)
      .type(PROBLEM_CONTENT_TYPE)
      .send(problem(404, "Not Found", `no route for ${req.method} ${req.url.split("?")[0]}`)),
  );

  app.get("/healthz", { schema: hidden }, async () => ({ status: "ok" }));
  app.get("/readyz", { schema: hidden }, async (_req, reply) => {
    const checks = await runChecks(opts.readiness ?? {}, opts.readinessTimeoutMs ?? 2_000);
    const ready = Object.values(checks).every((c) => c === "ok");
    return reply.status(ready ? 200 : 503).send({ status: ready ? "ready" : "not ready", checks });
  });
  app.get("/metrics", { schema: hidden }, async (_req, reply) =>
    reply.type(opts.metrics.contentType).send(await opts.metrics.metrics()),
  );
  return app;
}

async function runChecks(checks: Record<string, ReadinessCheck>, timeoutMs: number) {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error("timed out")), timeoutMs);
          }),
        ]);
        return [name, "ok"] as const;
      } catch (err) {
        return [name, (err as Error).message || "failed"] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(entries) as Record<string, string>;
}

/** Maps any error to the problem body; client mistakes are 4xx, never 5xx. */
export function toProblem(err: FastifyError | Error): Problem {
  if (err instanceof AppError) {
    const kind = errorKinds[err.kind];
    const detail = err.kind === "INTERNAL" ? "internal error" : err.message;
    return problem(kind.http, kind.title, detail, {
      ...(err.code !== err.kind ? { code: err.code } : {}),
      ...(err.errors ? { errors: err.errors } : {}),
    });
  }
  const fe = err as FastifyError;
  if (fe.validation) {
    const errors = fe.validation.map((v) => ({
      path: v.instancePath || (v.params as { missingProperty?: string })?.missingProperty || "",
      message: v.message ?? "invalid",
    }));
    return problem(400, "Bad Request", fe.message, { errors });
  }
  const status = fe.statusCode;
  if (status && status >= 400 && status < 500) {
    const title = Object.values(errorKinds).find((k) => k.http === status)?.title ?? "Bad Request";
    return problem(status, title, clientMessage(fe));
  }
  return problem(500, "Internal Server Error", "internal error");
}

function clientMessage(err: FastifyError): string {
  switch (err.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return "request body is not valid JSON";
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return "request body is too large";
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return "unsupported content type";
    default:
      return err.message;
  }
}
