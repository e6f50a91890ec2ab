import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createGrpcClient, loadGrpcCredentials, protos } from "@shop/grpc";
import { createOneTimeTokenSeal, type OneTimeTokenPurpose } from "@shop/identity";
import { createOutbox } from "@shop/outbox";
import {
  createLogger,
  createMetricsRegistry,
  createSql,
  type Logger,
  type Registry,
  type Sql,
} from "@shop/platform";
import {
  createTestDatabase,
  kafkaBrokers,
  type TestDatabase,
  testTlsConfig,
  testTlsEnv,
  uid,
  uniqueTopicPrefix,
} from "@shop/testkit";
import { buildGrpcServer, createAuthContext } from "../src/app.js";
import { type Config, loadAuthConfig } from "../src/config.js";
import type { AuthContext } from "../src/domain/context.js";

export const logger: Logger = createLogger({ service: "auth-test", level: "silent" });

/**
 * A cheap argon2id cost keeps the suite fast (the password tests check the production default);
 * plaintext keys unless a test sets KEY_ENCRYPTION_SECRET (signing-keys.test.ts covers both).
 */
export const TEST_ENV = {
  PASSWORD_HASH_MEMORY_KIB: "1024",
  PASSWORD_HASH_PASSES: "1",
  ALLOW_PLAINTEXT_KEYS: "true",
  // A fresh key per run, as the notification service would hold it.
  ONE_TIME_TOKEN_KEY: randomBytes(32).toString("base64url"),
};

/** Opens a sealed one-time token from an event payload as the notification service does. */
export function openSealedToken(
  payload: Record<string, unknown>,
  purpose: OneTimeTokenPurpose,
): Promise<string> {
  return createOneTimeTokenSeal(TEST_ENV.ONE_TIME_TOKEN_KEY).open(payload.tokenJwe as string, {
    purpose,
    userId: payload.userId as string,
    email: payload.email as string,
  });
}

/** The auth context for a test database, built from environment-style settings like main.ts does. */
export function authContextFor(
  sql: Sql,
  env: Record<string, string> = {},
): { auth: AuthContext; config: Config; metrics: Registry } {
  const config = loadAuthConfig({ ...TEST_ENV, ...env });
  const metrics = createMetricsRegistry("auth-test");
  const auth = createAuthContext({
    sql,
    logger,
    metrics,
    outbox: createOutbox({ topicPrefix: uniqueTopicPrefix() }),
    config,
  });
  return { auth, config, metrics };
}

/**
 * The auth service in-process for one test file: its own database (cloned from the migrated
 * template), the gRPC server on an ephemeral port, and a client of it.
 */
export async function startAuthService(env: Record<string, string> = {}) {
  const db: TestDatabase = await createTestDatabase("auth");
  // A small pool: parallel test files (and other packages) share one PostgreSQL max_connections.
  const sql = createSql(db.url, { max: 4 });
  const { auth, config, metrics } = authContextFor(sql, env);
  await auth.keys.ensureKey();
  const server = buildGrpcServer({
    logger,
    metrics,
    auth,
    credentials: loadGrpcCredentials(testTlsConfig("auth")).server(config.grpcAllowedCallers),
  });
  const port = await server.listen("127.0.0.1", 0);
  const client = createGrpcClient(protos().auth.AuthService, `127.0.0.1:${port}`, {
    credentials: loadGrpcCredentials(testTlsConfig("gateway")).client("auth"),
    deadlineMs: 15_000,
  });

  return {
    db,
    sql,
    auth,
    config,
    metrics,
    client,
    /** A new account with a unique email; returns its credentials and the created user. */
    async newUser(password = `pw-${uid()}-secret`) {
      const email = `user-${uid()}@example.com`;
      const user = await client.Register({ email, password });
      return { email, password, user };
    },
    /** Payloads of the outbox rows of one aggregate (user id), oldest first. */
    async outboxOf(userId: string) {
      return sql<
        { eventType: string; topic: string; payload: { type: string; payload: Record<string, unknown> } }[]
      >`
        select event_type as "eventType", topic, payload from outbox where message_key = ${userId} order by id
      `;
    },
    async stop() {
      client.close();
      await server.shutdown(1_000);
      await sql.end({ timeout: 5 });
      await db.drop();
    },
  };
}

export type AuthService = Awaited<ReturnType<typeof startAuthService>>;

/** The error a promise rejects with (fails the test if it resolves). */
export async function failure(
  promise: Promise<unknown>,
): Promise<{ kind: string; code: string; message: string; retryAfter?: number }> {
  try {
    await promise;
  } catch (err) {
    return err as { kind: string; code: string; message: string };
  }
  throw new Error("expected a failure, but the call succeeded");
}

/**
 * The built service (`dist/main.js`) as a process of its own, with what every start needs (free
 * ports, a cheap hash cost, fresh secrets, the test certificates) under `env`; its JSON log lines
 * gather in `lines`.
 */
export function spawnAuthProcess(env: Record<string, string>): {
  child: ChildProcess;
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const child = spawn("node", ["dist/main.js"], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    env: {
      PATH: process.env.PATH,
      HTTP_PORT: "0",
      GRPC_PORT: "0",
      KAFKA_BROKERS: kafkaBrokers().join(","),
      PASSWORD_HASH_MEMORY_KIB: "1024",
      PASSWORD_HASH_PASSES: "1",
      ONE_TIME_TOKEN_KEY: randomBytes(32).toString("base64url"),
      KEY_ENCRYPTION_SECRET: `secret-${uid()}-${uid()}-${uid()}`,
      ...testTlsEnv("auth"),
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let buffer = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    for (const line of parts) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  return { child, lines };
}
