import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { topicName } from "@shop/events";
import { createGrpcClient, loadGrpcCredentials, protos } from "@shop/grpc";
import { createKafka } from "@shop/kafka";
import { createSql, type Sql } from "@shop/platform";
import {
  createTestDatabase,
  eventually,
  kafkaBrokers,
  type TestDatabase,
  testTlsConfig,
  testTlsEnv,
  uid,
  uniqueTopicPrefix,
} from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logger } from "./harness.js";

const SERVICE_DIR = fileURLToPath(new URL("..", import.meta.url));

let db: TestDatabase;
let sql: Sql;
let child: ChildProcess;
let lines: Record<string, unknown>[] = [];
const prefix = uniqueTopicPrefix();
const adminEmail = `root-${uid()}@example.com`;

beforeAll(async () => {
  db = await createTestDatabase("auth");
  sql = createSql(db.url, { max: 2 });
  child = spawn("node", ["dist/main.js"], {
    cwd: SERVICE_DIR,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: db.url,
      HTTP_PORT: "0",
      GRPC_PORT: "0",
      KAFKA_BROKERS: kafkaBrokers().join(","),
      KAFKA_TOPIC_PREFIX: prefix,
      PASSWORD_HASH_MEMORY_KIB: "1024",
      PASSWORD_HASH_PASSES: "1",
      ONE_TIME_TOKEN_KEY: randomBytes(32).toString("base64url"),
      KEY_ENCRYPTION_SECRET: `secret-${uid()}-${uid()}-${uid()}`,
      ...testTlsEnv("auth"),
      ADMIN_EMAIL: adminEmail,
      ADMIN_PASSWORD: "root password",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let buffer = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    lines = lines.concat(parts.filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
  });
});
afterAll(async () => {
  if (child.exitCode === null) child.kill("SIGKILL");
  await sql.end({ timeout: 5 });
  await db.drop();
});

describe("the auth service process", () => {
  it("when started, then it serves JWKS over HTTP and gRPC, bootstraps the admin, publishes events, and stops cleanly on SIGTERM", async () => {
    const started = await eventually(() => lines.find((l) => l.msg === "started"), 20_000);
    const { httpAddress, grpcPort } = started as { httpAddress: string; grpcPort: number };

    const jwks = (await (await fetch(`${httpAddress}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys).toHaveLength(1);
    const client = createGrpcClient(protos().auth.AuthService, `127.0.0.1:${grpcPort}`, {
      credentials: loadGrpcCredentials(testTlsConfig("gateway")).client("auth"),
    });
    expect(JSON.parse((await client.GetJwks({})).json)).toEqual(jwks);

    const admin = await client.Login({ email: adminEmail, password: "root password" });
    expect((await client.GetMe({}, { authorization: `Bearer ${admin.accessToken}` })).role).toBe("admin");
    const user = await client.Register({ email: `u-${uid()}@example.com`, password: "long enough" });
    client.close();

    // The relay publishes both UserRegistered rows to the users topic.
    await eventually(async () => {
      const rows = await sql`select 1 from outbox where published_at is not null`;
      return rows.length === 2 ? true : undefined;
    }, 20_000);
    const kafkaAdmin = createKafka({ brokers: kafkaBrokers(), clientId: "auth-test", logger }).admin();
    await kafkaAdmin.connect();
    const offsets = await kafkaAdmin.fetchTopicOffsets(topicName("users", prefix));
    await kafkaAdmin.disconnect();
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(2);
    const [row] = await sql`select topic from outbox where message_key = ${user.id}`;
    expect(row!.topic).toBe(topicName("users", prefix));

    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(code).toBe(0);
    const stopped = lines.filter((l) => l.msg === "stopped").map((l) => l.component);
    // Intake stops first; everything started is stopped.
    expect(stopped.slice(0, 2)).toEqual(["grpc", "http"]);
    expect([...stopped].sort()).toEqual([
      "grpc",
      "http",
      "outbox-relay",
      "postgres",
      "postgres (outbox-relay)",
      "purge-timer",
      "tracing",
    ]);
    // The relay's pool closes after the relay.
    expect(stopped.indexOf("postgres (outbox-relay)")).toBeGreaterThan(stopped.indexOf("outbox-relay"));
  });
});
