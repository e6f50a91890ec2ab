import { type ChildProcess, execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { topicName } from "@shop/events";
import { createGrpcClient, loadGrpcCredentials, protos } from "@shop/grpc";
import { createOneTimeTokenSeal } from "@shop/identity";
import { createKafka } from "@shop/kafka";
import { createSql, type Sql } from "@shop/platform";
import {
  createTestDatabase,
  dropTopics,
  eventually,
  kafkaBrokers,
  type TestDatabase,
  testTlsConfig,
  uid,
  uniqueTopicPrefix,
} from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logger, spawnAuthProcess } from "./harness.js";

const SERVICE_DIR = fileURLToPath(new URL("..", import.meta.url));
const KEY = randomBytes(32).toString("base64url");
const seal = createOneTimeTokenSeal(KEY);

let db: TestDatabase;
let sql: Sql;
let child: ChildProcess;
let lines: Record<string, unknown>[];
const prefix = uniqueTopicPrefix();

beforeAll(async () => {
  db = await createTestDatabase("auth");
  sql = createSql(db.url, { max: 2 });
  ({ child, lines } = spawnAuthProcess({
    DATABASE_URL: db.url,
    KAFKA_TOPIC_PREFIX: prefix,
    ONE_TIME_TOKEN_KEY: KEY,
    OUTBOX_PUBLISHED_RETENTION_SECONDS: "1",
  }));
});
afterAll(async () => {
  if (child.exitCode === null) child.kill("SIGKILL");
  await sql.end({ timeout: 5 });
  await db.drop();
  await dropTopics(prefix);
});

/** Every row of every table of the service's database, as text. */
async function wholeDatabase(): Promise<string> {
  const tables = await sql<{ name: string }[]>`
    select quote_ident(table_name) as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE'
  `;
  let text = "";
  for (const { name } of tables) {
    const rows = await sql.unsafe(`select t::text as row from ${name} t`);
    text += rows.map((r) => r.row).join("\n");
  }
  return text;
}

describe("one-time tokens leaving the auth service", () => {
  it("when a user registers and asks for a reset, then topic and database hold no usable token, the sealed ones work, and published rows are purged", async () => {
    const started = await eventually(() => lines.find((l) => l.msg === "started"), 20_000);
    const client = createGrpcClient(
      protos().auth.AuthService,
      `127.0.0.1:${(started as { grpcPort: number }).grpcPort}`,
      { credentials: loadGrpcCredentials(testTlsConfig("gateway")).client("auth") },
    );

    const kafka = createKafka({ brokers: kafkaBrokers(), clientId: "auth-test", logger });
    const reader = kafka.consumer({ groupId: `${prefix}raw-reader` });
    const raw: string[] = [];
    await reader.connect();
    await reader.subscribe({ topic: topicName("users", prefix), fromBeginning: true });
    const joined = new Promise<void>((resolve) => reader.on(reader.events.GROUP_JOIN, () => resolve()));
    await reader.run({ eachMessage: async ({ message }) => void raw.push(message.value?.toString() ?? "") });
    await joined;

    try {
      const email = `exposed-${uid()}@example.com`;
      const user = await client.Register({ email, password: "correct horse" });
      await client.ForgotPassword({ email });
      await eventually(() => (raw.length >= 2 ? true : undefined), 20_000);

      const [registered, reset] = raw.map((v) => JSON.parse(v) as { payload: Record<string, string> });
      const expected = { userId: user.id, email };
      const verificationToken = await seal.open(registered!.payload.tokenJwe!, {
        ...expected,
        purpose: "verify_email",
      });
      const resetToken = await seal.open(reset!.payload.tokenJwe!, {
        ...expected,
        purpose: "reset_password",
      });
      for (const token of [verificationToken, resetToken]) {
        expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(raw.join("\n")).not.toContain(token);
      }

      // Published rows go after OUTBOX_PUBLISHED_RETENTION_SECONDS; then nothing names the tokens.
      await eventually(async () => {
        const rows = await sql`select 1 from outbox where message_key = ${user.id}`;
        return rows.length === 0 ? true : undefined;
      }, 20_000);
      const everything = await wholeDatabase();
      expect(everything).toContain(user.id);
      for (const token of [verificationToken, resetToken]) expect(everything).not.toContain(token);
      const outLog = lines.map((l) => JSON.stringify(l)).join("\n");
      for (const token of [verificationToken, resetToken]) expect(outLog).not.toContain(token);

      // The sealed tokens are the working ones.
      await client.VerifyEmail({ token: verificationToken });
      await client.ResetPassword({ token: resetToken, password: "a brand new password" });
      await client.Login({ email, password: "a brand new password" });
    } finally {
      client.close();
      await reader.disconnect();
    }
    child.kill("SIGTERM");
    await once(child, "exit");
  });

  it("when ONE_TIME_TOKEN_KEY is missing or malformed, then the service exits 1 naming the variable, not the value", async () => {
    const run = promisify(execFile);
    for (const value of [undefined, "too-short-to-be-a-key"]) {
      const result = await run("node", ["dist/main.js"], {
        cwd: SERVICE_DIR,
        env: {
          PATH: process.env.PATH,
          ALLOW_PLAINTEXT_KEYS: "true",
          ...(value ? { ONE_TIME_TOKEN_KEY: value } : {}),
        },
      }).catch((err: { code: number; stdout: string; stderr: string }) => err);
      expect(result).toMatchObject({ code: 1, stdout: "" });
      expect(result.stderr).toMatch(/^invalid configuration: ONE_TIME_TOKEN_KEY must be 32 random bytes/);
      if (value) expect(result.stderr).not.toContain(value);
    }
  });
});
