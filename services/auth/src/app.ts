import { createGrpcServer, type GrpcServer, type GrpcServerCredentials, protos } from "@shop/grpc";
import { createTokenVerifier } from "@shop/identity";
import { createHttpApp, type Logger, pingDb, type Registry, type Sql } from "@shop/platform";
import type { Config } from "./config.js";
import { createLoginFailuresRepository } from "./data-access/login-failures-repository.js";
import { createOneTimeTokensRepository } from "./data-access/one-time-tokens-repository.js";
import { createPasswordResetRequestsRepository } from "./data-access/password-reset-requests-repository.js";
import { createRefreshTokensRepository } from "./data-access/refresh-tokens-repository.js";
import { createSigningKeysRepository } from "./data-access/signing-keys-repository.js";
import { createUsersRepository } from "./data-access/users-repository.js";
import { createAuthMetrics } from "./domain/auth-metrics.js";
import type { AuthContext, EventOutbox } from "./domain/context.js";
import { createKeyCipher } from "./domain/key-cipher.js";
import { createKeyRing } from "./domain/key-ring.js";
import { createPasswordHasher } from "./domain/password-hash.js";
import { authServiceHandlers } from "./entry-points/grpc/auth-service.js";
import { registerJwksRoute } from "./entry-points/http/jwks-route.js";

export type AuthConfig = Pick<
  Config,
  | "accessTokenTtlSeconds"
  | "refreshTokenTtlDays"
  | "passwordHashMemoryKib"
  | "passwordHashPasses"
  | "keyEncryptionSecret"
  | "signingKeyRefreshSeconds"
  | "loginMaxFailures"
  | "loginAddressMaxFailures"
  | "loginAccountMaxFailures"
  | "loginLockoutBaseSeconds"
  | "loginLockoutMaxSeconds"
  | "passwordResetTtlMinutes"
  | "emailVerificationTtlHours"
  | "oneTimeTokenKey"
>;

/** Wires repositories, hashing and keys into the context every use case takes. No I/O. */
export function createAuthContext(deps: {
  sql: Sql;
  logger: Logger;
  metrics: Registry;
  outbox: EventOutbox;
  config: AuthConfig;
}): AuthContext {
  const { sql, logger, config } = deps;
  const signingKeys = createSigningKeysRepository(sql);
  const cipher = createKeyCipher(config.keyEncryptionSecret);
  const keys = createKeyRing({
    sql,
    repo: signingKeys,
    cipher,
    refreshSeconds: config.signingKeyRefreshSeconds,
    logger,
  });
  return {
    sql,
    logger,
    metrics: createAuthMetrics(deps.metrics),
    settings: config,
    outbox: deps.outbox,
    users: createUsersRepository(sql),
    refreshTokens: createRefreshTokensRepository(sql),
    oneTimeTokens: createOneTimeTokensRepository(sql),
    resetRequests: createPasswordResetRequestsRepository(sql),
    loginFailures: createLoginFailuresRepository(sql),
    signingKeys,
    passwords: createPasswordHasher({
      memory: config.passwordHashMemoryKib,
      passes: config.passwordHashPasses,
      parallelism: 1,
    }),
    cipher,
    keys,
    verifier: createTokenVerifier({ keys: keys.getKey }),
  };
}

export interface AppDeps {
  logger: Logger;
  metrics: Registry;
  sql: Sql;
  auth: AuthContext;
}

/** The HTTP app (JWKS, health, readiness, metrics). Never listens: `main.ts` does. */
export function buildHttpApp(deps: AppDeps) {
  const app = createHttpApp({
    logger: deps.logger,
    metrics: deps.metrics,
    readiness: { postgres: () => pingDb(deps.sql) },
  });
  registerJwksRoute(app, deps.auth);
  return app;
}

/** The gRPC server with shop.auth.v1.AuthService. Never listens: `main.ts` (or a test) does. */
export function buildGrpcServer(deps: {
  logger: Logger;
  metrics: Registry;
  auth: AuthContext;
  credentials: GrpcServerCredentials;
}): GrpcServer {
  const server = createGrpcServer({
    logger: deps.logger,
    metrics: deps.metrics,
    credentials: deps.credentials,
  });
  server.addService(
    protos().auth.AuthService.service,
    authServiceHandlers(deps.auth),
    "shop.auth.v1.AuthService",
  );
  return server;
}
