import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createEvent } from "@shop/events";
import { createTestIssuer, createTokenVerifier } from "@shop/identity";
import {
  createLogger,
  createMetricsRegistry,
  createSql,
  type Logger,
  loadConfig,
  type Sql,
} from "@shop/platform";
import { createTestDatabase, eventually, type TestDatabase, uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildHttpApp, buildNotificationService, settingsFromConfig } from "../src/app.js";
import { configSpec } from "../src/config.js";
import { createTransports } from "../src/transports/create-transports.js";
import {
  ONE_TIME_TOKEN_KEY,
  oneTimeTokens,
  sealedToken,
  testDispatch,
  testGrpcCredentials,
} from "./support/service.js";
import { startSmtpPeer } from "./support/smtp-peer.js";
import { startTelegramPeer } from "./support/telegram-peer.js";

let db: TestDatabase;
let sql: Sql;

beforeAll(async () => {
  db = await createTestDatabase("notification");
  sql = createSql(db.url, { max: 2 });
});
afterAll(async () => {
  await sql.end({ timeout: 5 });
  await db.drop();
});

const silent = () => createLogger({ service: "notification", level: "silent" });

/** A logger that keeps what the log transport writes (the service log is its only output). */
function capturingLogger(lines: Record<string, unknown>[]): Logger {
  const base = silent();
  const capture: Logger = Object.assign(Object.create(base) as Logger, {
    child: () => capture,
    info: (obj: Record<string, unknown>, msg?: string) => {
      lines.push({ ...obj, msg });
    },
  });
  return capture;
}

describe("notification service", () => {
  it("when its database answers, then readyz is 200 and metrics are exposed", async () => {
    const app = buildHttpApp({ logger: silent(), metrics: createMetricsRegistry("notification"), sql });
    expect((await app.inject({ url: "/readyz" })).statusCode).toBe(200);
    expect((await app.inject({ url: "/metrics" })).body).toContain("process_cpu_user_seconds_total");
    await app.close();
  });

  it("when the consumer has not joined its group, then readyz is 503", async () => {
    const app = buildHttpApp({
      logger: silent(),
      metrics: createMetricsRegistry("notification"),
      sql,
      consumerReady: () => false,
    });
    const res = await app.inject({ url: "/readyz" });
    expect(res.statusCode).toBe(503);
    expect(res.json().checks.kafka).toMatch(/not in its group/);
    await app.close();
  });

  it("when the database is unreachable, then readyz is 503", async () => {
    const dead = createSql("postgres://postgres@127.0.0.1:1/none", { max: 1 });
    const app = buildHttpApp({ logger: silent(), metrics: createMetricsRegistry("notification"), sql: dead });
    expect((await app.inject({ url: "/readyz" })).statusCode).toBe(503);
    await app.close();
    await dead.end({ timeout: 1 });
  });

  it("when a setting is malformed, then loading the config names the variable", () => {
    expect(() => loadConfig(configSpec, { DATABASE_URL: "nonsense" })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig(configSpec, { GRPC_PORT: "abc" })).toThrow(/GRPC_PORT must be an integer/);
    expect(() => loadConfig(configSpec, { SMTP_PORT: "99999" })).toThrow(/SMTP_PORT/);
    expect(() => loadConfig(configSpec, { TELEGRAM_API_BASE_URL: "ftp://x" })).toThrow(
      /TELEGRAM_API_BASE_URL/,
    );
    expect(() => loadConfig(configSpec, { NOTIFY_MAX_ATTEMPTS: "0" })).toThrow(/NOTIFY_MAX_ATTEMPTS/);
  });

  it("when a real transport is forced without its settings, then start fails naming the missing one", () => {
    const logger = silent();
    expect(() => createTransports(loadConfig(configSpec, { EMAIL_TRANSPORT: "smtp" }), logger)).toThrow(
      /SMTP_HOST/,
    );
    expect(() => createTransports(loadConfig(configSpec, { TELEGRAM_TRANSPORT: "api" }), logger)).toThrow(
      /TELEGRAM_BOT_TOKEN/,
    );
  });

  it("when SMTP and a bot token are configured, then the real transports are chosen; TELEGRAM_TRANSPORT=off has none", () => {
    const logger = silent();
    const real = createTransports(
      loadConfig(configSpec, { SMTP_HOST: "127.0.0.1", TELEGRAM_BOT_TOKEN: "1:x" }),
      logger,
    );
    expect([real.email.name, real.telegram?.name]).toEqual(["smtp", "telegram"]);
    real.email.close?.();
    const off = createTransports(loadConfig(configSpec, { TELEGRAM_TRANSPORT: "off" }), logger);
    expect(off.telegram).toBeUndefined();
  });

  it("when nothing is configured, then messages are written to the service log and marked SENT", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = capturingLogger(lines);
    const transports = createTransports(loadConfig(configSpec, {}), logger);
    expect([transports.email.name, transports.telegram?.name]).toEqual(["log", "log"]);
    const issuer = await createTestIssuer();
    const service = buildNotificationService({
      logger,
      metrics: createMetricsRegistry("notification"),
      sql,
      verifier: createTokenVerifier({ keys: issuer.keys }),
      grpcCredentials: testGrpcCredentials(),
      transports,
      publicBaseUrl: "http://localhost:8080",
      oneTimeTokens,
      dispatch: testDispatch,
    });
    const userId = `u-${uid()}`;
    const email = `${userId}@example.test`;
    const { token, tokenJwe } = await sealedToken("verify_email", userId, email);
    await sql.begin((tx) =>
      service.eventHandlers.UserRegistered(
        createEvent("UserRegistered", userId, { userId, email, role: "customer", tokenJwe }),
        tx,
      ),
    );
    await service.recipients.linkTelegram(userId, "4242");
    const orderId = 1 + Math.floor(Math.random() * 1e9);
    const paid = createEvent(
      "OrderPaid",
      orderId,
      { orderId, userId, items: [{ productId: "p", quantity: 1 }], totalCents: 100, currency: "USD" },
      { eventId: randomUUID() },
    );
    await sql.begin((tx) => service.eventHandlers.OrderPaid(paid, tx));

    service.dispatcher.start();
    await eventually(async () => ((await service.notifications.countPending()) === 0 ? true : undefined));
    await service.dispatcher.stop();

    const rows = await service.notifications.findByEvent(paid.eventId);
    expect(rows.map((r) => [r.channel, r.status])).toEqual([
      ["email", "SENT"],
      ["telegram", "SENT"],
    ]);
    // The log is read by many: it shows the link redacted, never the token.
    const verification = lines.find((l) => l.to === email && l.subject === "Confirm your email address");
    expect(verification?.body).toContain("http://localhost:8080/verify-email?token=[redacted]");
    expect(JSON.stringify(lines)).not.toContain(token);
    expect(lines.find((l) => l.channel === "telegram" && l.to === "4242")?.body).toContain(
      `Order #${orderId}`,
    );
  });

  it("when SMTP and a bot are configured by environment, then order messages reach both peers", async () => {
    const smtp = await startSmtpPeer({ startTls: true });
    const telegram = await startTelegramPeer();
    const config = loadConfig(configSpec, {
      SMTP_HOST: "127.0.0.1",
      SMTP_PORT: String(smtp.port),
      MAIL_FROM: "Shop <orders@shop.test>",
      TELEGRAM_API_BASE_URL: telegram.baseUrl,
      TELEGRAM_BOT_TOKEN: "42:env-token",
      NOTIFY_RETRY_BASE_MS: "20",
      ONE_TIME_TOKEN_KEY,
    });
    const issuer = await createTestIssuer();
    const service = buildNotificationService({
      logger: silent(),
      metrics: createMetricsRegistry("notification"),
      sql,
      verifier: createTokenVerifier({ keys: issuer.keys }),
      grpcCredentials: testGrpcCredentials(),
      ...settingsFromConfig(config, silent()),
    });
    const userId = `u-${uid()}`;
    const email = `${userId}@example.test`;
    await sql.begin((tx) =>
      service.eventHandlers.UserRegistered(
        createEvent("UserRegistered", userId, { userId, email, role: "customer" }),
        tx,
      ),
    );
    await service.recipients.linkTelegram(userId, "-100777");
    const orderId = 1 + Math.floor(Math.random() * 1e9);
    const cancelled = createEvent("OrderCancelled", orderId, {
      orderId,
      userId,
      reason: "OUT_OF_STOCK",
      items: [],
      totalCents: 2500,
      currency: "USD",
    });
    await sql.begin((tx) => service.eventHandlers.OrderCancelled(cancelled, tx));
    service.dispatcher.start();
    try {
      const [mail] = await eventually(() => (smtp.to(email).length ? smtp.to(email) : undefined));
      expect(mail).toMatchObject({ from: "orders@shop.test", subject: `Order #${orderId} was cancelled` });
      expect(mail!.content).toContain("some items are out of stock");
      const [message] = await eventually(() => (telegram.calls.length ? telegram.calls : undefined));
      expect(message).toMatchObject({ token: "42:env-token", chatId: "-100777" });
      expect(message!.text).toContain(`Order #${orderId} ($25.00) was cancelled`);
    } finally {
      await service.dispatcher.stop();
      await smtp.close();
      await telegram.close();
    }
  });

  it("when ONE_TIME_TOKEN_KEY is missing or malformed, then the service exits 1 naming the variable, not the value", async () => {
    const run = promisify(execFile);
    for (const value of [undefined, "not-a-32-byte-key"]) {
      const result = await run("node", ["dist/main.js"], {
        cwd: fileURLToPath(new URL("..", import.meta.url)),
        env: { PATH: process.env.PATH, ...(value ? { ONE_TIME_TOKEN_KEY: value } : {}) },
      }).catch((err: { code: number; stdout: string; stderr: string }) => err);
      expect(result).toMatchObject({ code: 1, stdout: "" });
      expect(result.stderr).toMatch(/^invalid configuration: ONE_TIME_TOKEN_KEY must be 32 random bytes/);
      if (value) expect(result.stderr).not.toContain(value);
    }
  });
});
