import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
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
  uid,
  uniqueTopicPrefix,
} from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logger, spawnAuthProcess } from "./harness.js";

let db: TestDatabase;
let sql: Sql;
let child: ChildProcess;
let lines: Record<string, unknown>[];
const prefix = uniqueTopicPrefix();
const adminEmail = `root-${uid()}@example.com`;

beforeAll(async () => {
  db = await createTestDatabase("auth");
  sql = createSql(db.url, { max: 2 });
  ({ child, lines } = spawnAuthProcess({
    DATABASE_URL: db.url,
    KAFKA_TOPIC_PREFIX: prefix,
    ADMIN_EMAIL: adminEmail,
    ADMIN_PASSWORD: "root password",
  }));
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
