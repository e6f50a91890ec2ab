import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createMetricsRegistry, createSql, type Sql } from "@shop/platform";
import { createTestDatabase, type TestDatabase, testTlsEnv } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildHttpApp } from "../src/app.js";
import { loadAuthConfig } from "../src/config.js";
import type { AuthContext } from "../src/domain/context.js";
import { authContextFor, logger } from "./harness.js";

const run = promisify(execFile);
const SERVICE_DIR = fileURLToPath(new URL("..", import.meta.url));

let db: TestDatabase;
let sql: Sql;
let auth: AuthContext;

beforeAll(async () => {
  db = await createTestDatabase("auth");
  sql = createSql(db.url, { max: 2 });
  auth = authContextFor(sql).auth;
  await auth.keys.ensureKey();
});
afterAll(async () => {
  await sql.end({ timeout: 5 });
  await db.drop();
});

function app(db: Sql = sql) {
  return buildHttpApp({ logger, metrics: createMetricsRegistry("auth"), sql: db, auth });
}

describe("auth http app", () => {
  it("when its database answers, then readyz is 200 and metrics are exposed", async () => {
    const http = app();
    expect((await http.inject({ url: "/readyz" })).statusCode).toBe(200);
    expect((await http.inject({ url: "/metrics" })).body).toContain("process_cpu_user_seconds_total");
    await http.close();
  });

  it("when the database is unreachable, then readyz is 503", async () => {
    const dead = createSql("postgres://postgres@127.0.0.1:1/none", { max: 1 });
    const http = app(dead);
    expect((await http.inject({ url: "/readyz" })).statusCode).toBe(503);
    await http.close();
    await dead.end({ timeout: 1 });
  });

  it("when the JWKS is fetched, then it lists the signing key's public half only, under its kid", async () => {
    const http = app();
    const res = await http.inject({ url: "/.well-known/jwks.json" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/application\/json/);
    const jwks = res.json() as { keys: Record<string, string>[] };
    const { signing } = await auth.keys.current();
    expect(jwks.keys).toEqual([
      { kty: "OKP", crv: "Ed25519", x: expect.any(String), kid: signing.kid, alg: "EdDSA", use: "sig" },
    ]);
    expect(res.body).not.toMatch(/"d"/);
    await http.close();
  });
});

describe("auth configuration", () => {
  it("when a setting is malformed, then loading the config names the variable", () => {
    expect(() => loadAuthConfig({ DATABASE_URL: "nonsense" })).toThrow(/DATABASE_URL/);
    expect(() => loadAuthConfig({ GRPC_PORT: "abc" })).toThrow(/GRPC_PORT must be an integer/);
    expect(() => loadAuthConfig({ ACCESS_TOKEN_TTL_SECONDS: "901" })).toThrow(/ACCESS_TOKEN_TTL_SECONDS/);
    expect(() => loadAuthConfig({ PASSWORD_HASH_MEMORY_KIB: "512" })).toThrow(/PASSWORD_HASH_MEMORY_KIB/);
    expect(() => loadAuthConfig({ PASSWORD_HASH_PASSES: "0" })).toThrow(/PASSWORD_HASH_PASSES/);
    expect(() => loadAuthConfig({ KEY_ENCRYPTION_SECRET: "short" })).toThrow(/KEY_ENCRYPTION_SECRET/);
    expect(() => loadAuthConfig({ ADMIN_EMAIL: "admin@example.com" })).toThrow(/ADMIN_PASSWORD/);
    expect(() => loadAuthConfig({ ADMIN_EMAIL: "nope", ADMIN_PASSWORD: "long enough" })).toThrow(
      /ADMIN_EMAIL/,
    );
    expect(() => loadAuthConfig({ ADMIN_EMAIL: "a@example.com", ADMIN_PASSWORD: "short" })).toThrow(
      /ADMIN_PASSWORD/,
    );
  });

  it("when nothing is set, then the defaults are the documented ones", () => {
    const config = loadAuthConfig({ ALLOW_PLAINTEXT_KEYS: "true" });
    expect(config).toMatchObject({
      accessTokenTtlSeconds: 900,
      refreshTokenTtlDays: 30,
      passwordHashMemoryKib: 19_456,
      passwordHashPasses: 2,
      loginMaxFailures: 10,
      loginLockoutBaseSeconds: 1,
      loginLockoutMaxSeconds: 900,
      passwordResetTtlMinutes: 60,
      keyEncryptionSecret: "",
      adminEmail: "",
    });
  });

  it("when the service starts with a bad setting, then it prints one line naming the variable and exits 1", async () => {
    const result = await run("node", ["dist/main.js"], {
      cwd: SERVICE_DIR,
      env: { PATH: process.env.PATH, PASSWORD_HASH_MEMORY_KIB: "lots" },
    }).catch((err: { code: number; stdout: string; stderr: string }) => err);
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr).toBe(
      'invalid configuration: PASSWORD_HASH_MEMORY_KIB must be an integer (got "lots")\n',
    );
  });

  it("when KEY_ENCRYPTION_SECRET is not set, then the service refuses to start unless ALLOW_PLAINTEXT_KEYS=true", async () => {
    expect(() => loadAuthConfig({})).toThrow(/KEY_ENCRYPTION_SECRET is required/);
    expect(loadAuthConfig({ ALLOW_PLAINTEXT_KEYS: "true" }).allowPlaintextKeys).toBe(true);
    const result = await run("node", ["dist/main.js"], {
      cwd: SERVICE_DIR,
      env: { PATH: process.env.PATH },
    }).catch((err: { code: number; stdout: string; stderr: string }) => err);
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr).toMatch(/^invalid configuration: KEY_ENCRYPTION_SECRET is required/);
  });

  it("when gRPC TLS is on and a certificate file is missing, then the service refuses to start naming the variable", async () => {
    const result = await run("node", ["dist/main.js"], {
      cwd: SERVICE_DIR,
      env: {
        PATH: process.env.PATH,
        ALLOW_PLAINTEXT_KEYS: "true",
        ONE_TIME_TOKEN_KEY: randomBytes(32).toString("base64url"),
        ...testTlsEnv("auth"),
        GRPC_TLS_CERT_FILE: "/nonexistent/auth.crt",
      },
    }).catch((err: { code: number; stdout: string; stderr: string }) => err);
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr).toMatch(/^invalid configuration: GRPC_TLS_CERT_FILE cannot be read/);
  });
});
