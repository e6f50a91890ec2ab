import { type HttpAppOptions, PROBLEM_CONTENT_TYPE, problem } from "@shop/platform";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { TrustProxy } from "../../trust-proxy.js";
import { traceparentFor } from "./trace-context.js";

/**
 * Errors Fastify raises while routing, before any hook runs: a path segment that is not valid
 * percent-encoding or is longer than the router's limit. Left to Fastify they are bare JSON 400/414
 * without request id or traceparent; here they are problem+json 404s, since such a path can
 * name no resource (an opaque product id must never give 400).
 */
export function onFrameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  reply.header("x-request-id", req.id);
  reply.header("traceparent", traceparentFor(req.headers.traceparent));
  const notFound = err.code === "FST_ERR_BAD_URL" || err.code === "FST_ERR_MAX_PARAM_LENGTH";
  const body = notFound
    ? problem(404, "Not Found", "no such resource")
    : problem(400, "Bad Request", "the request could not be routed");
  void reply.status(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

/**
 * Fastify options the shared `createHttpApp` does not list in its type but passes through.
 * (Typed there as a Pick; widening it belongs to packages/platform.)
 */
export function routingOptions(trustProxy: TrustProxy): HttpAppOptions["fastify"] {
  return { trustProxy, frameworkErrors: onFrameworkError } as HttpAppOptions["fastify"];
}
