import { fileURLToPath } from "node:url";
import { PRODUCT_CHANGES_CHANNEL } from "@shop/events";
import { grpcTlsSettings } from "@shop/grpc";
import {
  accessTokenSettings,
  type ConfigOf,
  commonSettings,
  hostPort,
  int,
  port,
  type Setting,
  str,
  tracingSettings,
  url,
} from "@shop/platform";
import { trustProxySetting } from "./trust-proxy.js";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A duration such as "1 minute", "30s" or "1500" (milliseconds), as milliseconds. */
function duration(env: string, doc: string, defaultValue: string): Setting<number> {
  const parse = (raw: string): number => {
    const match = /^(\d+)\s*(ms|s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?)?$/i.exec(raw.trim());
    if (!match) throw new Error('must be a duration like "1 minute", "30 seconds" or milliseconds');
    const unit = (match[2] ?? "ms").toLowerCase();
    const ms = Number(match[1]) * UNIT_MS[unit === "ms" ? "ms" : unit[0]!]!;
    if (ms < 1) throw new Error("must be positive");
    return ms;
  };
  return { env, doc: `${doc} (default ${defaultValue})`, default: parse(defaultValue), parse };
}

/** Where the storefront's build lands in this repository, seen from `dist/config.js`. */
const BUILT_STOREFRONT = fileURLToPath(new URL("../../../apps/storefront/dist", import.meta.url));

export const configSpec = {
  ...commonSettings("gateway", 8080, "GATEWAY_PORT"),
  ...tracingSettings(),
  adminHost: str(
    "GATEWAY_ADMIN_HOST",
    "address the internal admin port binds (/metrics, /healthz); keep it off public interfaces",
    "127.0.0.1",
  ),
  adminPort: port(
    "GATEWAY_ADMIN_PORT",
    "internal admin port serving /metrics and /healthz (the public port answers 404 for /metrics)",
    9080,
  ),
  trustProxy: trustProxySetting(
    "TRUST_PROXY",
    'whose X-Forwarded-For gives the client IP (rate limits): unset trusts none; else a comma-separated list of proxy addresses/CIDRs ("10.0.0.0/8,loopback"); "true" and hop counts are refused',
  ),
  redisUrl: url(
    "REDIS_URL",
    "Redis for rate limits and product change announcements",
    ["redis:", "rediss:"],
    "redis://127.0.0.1:6379",
  ),
  authGrpc: hostPort("AUTH_GRPC_ADDR", "auth service gRPC address", "127.0.0.1:50051"),
  productGrpc: hostPort("PRODUCT_GRPC_ADDR", "product service gRPC address", "127.0.0.1:50052"),
  orderGrpc: hostPort("ORDER_GRPC_ADDR", "order service gRPC address", "127.0.0.1:50053"),
  paymentGrpc: hostPort("PAYMENT_GRPC_ADDR", "payment service gRPC address", "127.0.0.1:50054"),
  notificationGrpc: hostPort(
    "NOTIFICATION_GRPC_ADDR",
    "notification service gRPC address",
    "127.0.0.1:50055",
  ),
  ...grpcTlsSettings(),
  ...accessTokenSettings(),
  jwksCacheMs: int(
    "JWKS_CACHE_MS",
    "how long GET /.well-known/jwks.json reuses the auth service's answer",
    60_000,
  ),
  downstreamTimeoutMs: int("DOWNSTREAM_TIMEOUT_MS", "deadline of one downstream gRPC call", 2_000, 1),
  passwordCallTimeoutMs: int(
    "PASSWORD_CALL_TIMEOUT_MS",
    "deadline of register, login and password reset (password hashing is slow by design)",
    10_000,
    1,
  ),
  retryMaxAttempts: int(
    "DOWNSTREAM_RETRY_MAX_ATTEMPTS",
    "retries of a failed idempotent read (writes are never retried)",
    2,
    0,
    10,
  ),
  retryInitialDelayMs: int(
    "DOWNSTREAM_RETRY_INITIAL_DELAY_MS",
    "first backoff delay of a retry (jittered)",
    50,
    1,
  ),
  retryMaxDelayMs: int("DOWNSTREAM_RETRY_MAX_DELAY_MS", "largest backoff delay of a retry", 1_000, 1),
  breakerThreshold: int(
    "CIRCUIT_BREAKER_THRESHOLD",
    "consecutive failed requests (unavailable, timeout, internal; retries of one request count once) that open a service's circuit",
    5,
    1,
  ),
  breakerHalfOpenInitialMs: int(
    "CIRCUIT_BREAKER_HALF_OPEN_INITIAL_MS",
    "how long a circuit that has just opened fails fast before letting a trial call through (doubles after each failed trial)",
    1_000,
    1,
  ),
  breakerHalfOpenAfterMs: int(
    "CIRCUIT_BREAKER_HALF_OPEN_AFTER_MS",
    "longest an open circuit fails fast before letting a trial call through",
    10_000,
    1,
  ),
  productCacheTtlMs: int(
    "PRODUCT_CACHE_TTL_MS",
    "longest the gateway serves a product from memory without asking the catalog; changes announced by the product service drop it sooner (0 turns the cache off)",
    5_000,
    0,
    3_600_000,
  ),
  productCacheMaxEntries: int(
    "PRODUCT_CACHE_MAX_ENTRIES",
    "products the gateway keeps in memory at most (the oldest go first)",
    10_000,
    1,
  ),
  productChangesChannel: str(
    "PRODUCT_CHANGES_CHANNEL",
    "Redis pub/sub channel on which the product service announces product changes",
    PRODUCT_CHANGES_CHANNEL,
  ),
  orderStreamPollMs: int(
    "ORDER_STREAM_POLL_MS",
    "how often an order's event stream re-reads its timeline from the order service",
    500,
    50,
    60_000,
  ),
  orderStreamHeartbeatMs: int(
    "ORDER_STREAM_HEARTBEAT_MS",
    "interval of the comment lines that keep an idle order event stream open through proxies",
    15_000,
    100,
  ),
  orderStreamMaxMs: int(
    "ORDER_STREAM_MAX_MS",
    "longest an order event stream stays open (the client reconnects with Last-Event-ID)",
    300_000,
    1_000,
  ),
  orderStreamMaxPerUser: int(
    "ORDER_STREAM_MAX_PER_USER",
    "order event streams one user may hold open at once on one gateway instance (429 beyond)",
    5,
    1,
  ),
  rateLimitMax: int("RATE_LIMIT_MAX", "requests per client (user id, else IP) per RATE_LIMIT_WINDOW", 600, 1),
  rateLimitWindowMs: duration(
    "RATE_LIMIT_WINDOW",
    'rate limit window, e.g. "1 minute", "30 seconds" or milliseconds',
    "1 minute",
  ),
  loginRateLimitMax: int(
    "LOGIN_RATE_LIMIT_MAX",
    "login attempts per minute for one email from one IP",
    10,
    1,
  ),
  forgotPasswordEmailRateLimitMax: int(
    "FORGOT_PASSWORD_EMAIL_RATE_LIMIT_MAX",
    "password-reset requests per hour for one email, from any IP (stops mail bombing)",
    5,
    1,
  ),
  forgotPasswordIpRateLimitMax: int(
    "FORGOT_PASSWORD_IP_RATE_LIMIT_MAX",
    "password-reset requests per hour from one IP, across emails",
    20,
    1,
  ),
  rateLimitRedisTimeoutMs: int(
    "RATE_LIMIT_REDIS_TIMEOUT_MS",
    "a rate-limit check slower than this is skipped (the request passes unlimited)",
    250,
    1,
  ),
  rateLimitKeyPrefix: str(
    "RATE_LIMIT_KEY_PREFIX",
    "prefix of the Redis keys of rate-limit counters (instances sharing it share limits)",
    "gateway:rl:",
  ),
  webRoot: str(
    "WEB_ROOT",
    "folder of the built storefront served at / (its index.html and assets/); when it has no index.html, / is a 404",
    BUILT_STOREFRONT,
  ),
};

export type Config = ConfigOf<typeof configSpec>;
