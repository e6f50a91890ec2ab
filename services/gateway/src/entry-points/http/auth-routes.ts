import { createHash } from "node:crypto";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { AppError } from "@shop/platform";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import "@fastify/rate-limit";
import { Type } from "typebox";
import type { RouteDeps } from "./route-deps.js";
import {
  Credentials,
  ForgotPasswordBody,
  Jwks,
  LoginBody,
  RefreshBody,
  ResetPasswordBody,
  TokenBody,
  TokenPair,
  User,
} from "./schemas/auth.js";
import { bearerAuth, problemResponses } from "./schemas/common.js";
import { callOptions } from "./trace-context.js";

const NoContent = Type.Null({ description: "no content" });
const tags = ["auth"];
const HOUR_MS = 3_600_000;

/** The body's email, normalised and hashed, so rate-limit keys in Redis carry no addresses. */
function emailKey(req: FastifyRequest): string {
  const email = String((req.body as { email?: unknown } | undefined)?.email ?? "")
    .trim()
    .toLowerCase();
  return createHash("sha256").update(email).digest("base64url").slice(0, 22);
}

type Limiter = ReturnType<FastifyInstance["createRateLimit"]>;

/** A preHandler that answers 429 (with Retry-After and rate headers) once `limit` is exceeded. */
function enforce(limit: Limiter, message: string) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const result = await limit(req);
    if (result.isAllowed) return;
    reply.header("x-ratelimit-limit", result.max);
    reply.header("x-ratelimit-remaining", result.remaining);
    reply.header("x-ratelimit-reset", result.ttlInSeconds);
    if (result.isExceeded) throw AppError.tooMany(message, Math.max(1, result.ttlInSeconds));
  };
}

interface UserRecord {
  id: string;
  email: string;
  role: string;
  emailVerified: boolean;
}

interface TokenRecord {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
}

const toUser = (u: UserRecord) => ({
  id: u.id,
  email: u.email,
  role: u.role,
  emailVerified: u.emailVerified,
});
const toTokens = (t: TokenRecord) => ({
  accessToken: t.accessToken,
  refreshToken: t.refreshToken,
  tokenType: t.tokenType || "Bearer",
  expiresIn: t.expiresIn,
});

/** Responses that carry tokens must not be kept by browsers, proxies or shared caches. */
async function forbidCaching(_req: FastifyRequest, reply: FastifyReply, payload: unknown) {
  reply.header("cache-control", "no-store");
  reply.header("pragma", "no-cache");
  return payload;
}

/** Accounts and tokens, mapped onto AuthService; the gateway adds validation and limits. */
export function authRoutes(deps: RouteDeps): FastifyPluginAsyncTypebox {
  const { auth: authClient } = deps.clients;
  return async (app) => {
    // Per email and IP, so one account cannot be guessed at fast and one IP cannot lock others out.
    const limitLogin = enforce(
      app.createRateLimit({
        max: deps.config.loginRateLimitMax,
        timeWindow: 60_000,
        keyGenerator: (req: FastifyRequest) => `login:${req.ip}:${emailKey(req)}`,
      }),
      "too many login attempts, try again later",
    );
    // Per email from anywhere (no one's inbox gets flooded) and per IP across emails.
    const limitForgotPasswordByIp = enforce(
      app.createRateLimit({
        max: deps.config.forgotPasswordIpRateLimitMax,
        timeWindow: HOUR_MS,
        keyGenerator: (req: FastifyRequest) => `forgot-password:ip:${req.ip}`,
      }),
      "too many password reset requests, try again later",
    );
    const limitForgotPasswordByEmail = enforce(
      app.createRateLimit({
        max: deps.config.forgotPasswordEmailRateLimitMax,
        timeWindow: HOUR_MS,
        keyGenerator: (req: FastifyRequest) => `forgot-password:email:${emailKey(req)}`,
      }),
      "too many password reset requests, try again later",
    );

    app.post(
      "/api/v1/auth/register",
      {
        schema: {
          tags,
          summary: "Create an account",
          body: Credentials,
          response: { 201: User, ...problemResponses(400, 409, 413, 429, 503) },
        },
      },
      async (req, reply) => {
        const user = await authClient.Register(
          { email: req.body.email.trim().toLowerCase(), password: req.body.password },
          callOptions(req),
        );
        return reply.status(201).send(toUser(user));
      },
    );

    app.post(
      "/api/v1/auth/login",
      {
        preHandler: limitLogin,
        onSend: forbidCaching,
        schema: {
          tags,
          summary: "Sign in with email and password",
          body: LoginBody,
          response: { 200: TokenPair, ...problemResponses(400, 401, 429, 503) },
        },
      },
      async (req) =>
        toTokens(
          await authClient.Login(
            { email: req.body.email.trim().toLowerCase(), password: req.body.password, clientIp: req.ip },
            callOptions(req),
          ),
        ),
    );

    app.post(
      "/api/v1/auth/refresh",
      {
        onSend: forbidCaching,
        schema: {
          tags,
          summary: "Exchange a refresh token for a new token pair (rotation)",
          body: RefreshBody,
          response: { 200: TokenPair, ...problemResponses(400, 401, 429, 503) },
        },
      },
      async (req) =>
        toTokens(await authClient.Refresh({ refreshToken: req.body.refreshToken }, callOptions(req))),
    );

    app.post(
      "/api/v1/auth/logout",
      {
        schema: {
          tags,
          summary: "End the login that issued this refresh token",
          body: RefreshBody,
          response: { 204: NoContent, ...problemResponses(400, 429, 503) },
        },
      },
      async (req, reply) => {
        await authClient.Logout({ refreshToken: req.body.refreshToken }, callOptions(req));
        return reply.status(204).send(null);
      },
    );

    app.get(
      "/api/v1/auth/me",
      {
        preValidation: deps.auth.user,
        schema: {
          tags,
          summary: "The signed-in user",
          security: bearerAuth,
          response: { 200: User, ...problemResponses(401, 429, 503) },
        },
      },
      async (req) => toUser(await authClient.GetMe({}, callOptions(req, deps.auth.identity(req)))),
    );

    app.post(
      "/api/v1/auth/verify-email",
      {
        schema: {
          tags,
          summary: "Confirm the email address with the token from the welcome email",
          body: TokenBody,
          response: { 204: NoContent, ...problemResponses(400, 429, 503) },
        },
      },
      async (req, reply) => {
        await authClient.VerifyEmail({ token: req.body.token }, callOptions(req));
        return reply.status(204).send(null);
      },
    );

    app.post(
      "/api/v1/auth/forgot-password",
      {
        preHandler: [limitForgotPasswordByIp, limitForgotPasswordByEmail],
        schema: {
          tags,
          summary: "Send a password reset email (always 202; limited per email and per IP)",
          body: ForgotPasswordBody,
          response: { 202: NoContent, ...problemResponses(400, 429, 503) },
        },
      },
      async (req, reply) => {
        await authClient.ForgotPassword({ email: req.body.email.trim().toLowerCase() }, callOptions(req));
        return reply.status(202).send(null);
      },
    );

    app.post(
      "/api/v1/auth/reset-password",
      {
        schema: {
          tags,
          summary: "Set a new password with a reset token",
          body: ResetPasswordBody,
          response: { 204: NoContent, ...problemResponses(400, 429, 503) },
        },
      },
      async (req, reply) => {
        await authClient.ResetPassword(
          { token: req.body.token, password: req.body.password },
          callOptions(req),
        );
        return reply.status(204).send(null);
      },
    );

    let jwks: { value: unknown; fetchedAt: number } | undefined;
    app.get(
      "/.well-known/jwks.json",
      {
        schema: {
          tags,
          summary: "Public keys that verify access tokens",
          response: { 200: Jwks, ...problemResponses(503) },
        },
      },
      async (req, reply) => {
        const fresh = jwks && Date.now() - jwks.fetchedAt < deps.config.jwksCacheMs;
        if (!fresh) {
          try {
            const { json } = await authClient.GetJwks({}, callOptions(req));
            jwks = { value: JSON.parse(json), fetchedAt: Date.now() };
          } catch (err) {
            // Keys change rarely: a stale set beats an outage for clients verifying tokens.
            if (!jwks) throw err;
          }
        }
        reply.header("cache-control", `public, max-age=${Math.floor(deps.config.jwksCacheMs / 1000)}`);
        return jwks!.value as { keys: Record<string, unknown>[] };
      },
    );
  };
}
