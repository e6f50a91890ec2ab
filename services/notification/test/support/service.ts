import { randomBytes } from "node:crypto";
import { loadGrpcCredentials } from "@shop/grpc";
import {
  createOneTimeTokenSeal,
  createTestIssuer,
  createTokenVerifier,
  type OneTimeTokenPurpose,
} from "@shop/identity";
import { createLogger, createMetricsRegistry, createSql, type Sql } from "@shop/platform";
import { testTlsConfig } from "@shop/testkit";
import { buildNotificationService, type NotificationService } from "../../src/app.js";
import type { DispatchSettings } from "../../src/domain/dispatch.js";
import { createSmtpTransport } from "../../src/transports/smtp-transport.js";
import { createTelegramTransport } from "../../src/transports/telegram-transport.js";
import type { Transports } from "../../src/transports/transport.js";

export const PUBLIC_BASE_URL = "https://shop.test";
export const BOT_TOKEN = "123456:test-bot-token";
/** This run's ONE_TIME_TOKEN_KEY, as auth and notification would share it. */
export const ONE_TIME_TOKEN_KEY = randomBytes(32).toString("base64url");
export const oneTimeTokens = createOneTimeTokenSeal(ONE_TIME_TOKEN_KEY);

/** A fresh one-time token and its JWE, sealed the way the auth service seals it into events. */
export async function sealedToken(
  purpose: OneTimeTokenPurpose,
  userId: string,
  email: string,
  expiresAt = new Date(Date.now() + 3_600_000),
) {
  const token = randomBytes(32).toString("base64url");
  return { token, tokenJwe: await oneTimeTokens.seal({ token, purpose, userId, email, expiresAt }) };
}

export interface StartOptions {
  databaseUrl: string;
  smtpPort: number;
  /** Telegram Bot API stand-in; omitted means Telegram is off. */
  telegramBaseUrl?: string;
  dispatch?: Partial<DispatchSettings>;
}

/** Fast retries so a test sees the whole retry schedule in well under a second. */
export const testDispatch: DispatchSettings = {
  batchSize: 10,
  maxAttempts: 3,
  retryBaseMs: 20,
  retryMaxMs: 100,
  pollIntervalMs: 200,
  leaseMs: 10_000,
};

/** The notification service's test certificate, accepting the gateway as main.ts does. */
export const testGrpcCredentials = () =>
  loadGrpcCredentials(testTlsConfig("notification")).server(["gateway"]);

/** The service in-process, as main.ts wires it, with real SMTP and HTTP peers. */
export async function startNotificationService(opts: StartOptions) {
  const sql: Sql = createSql(opts.databaseUrl, { max: 4 });
  const issuer = await createTestIssuer();
  const logger = createLogger({ service: "notification", level: "silent" });
  const transports: Transports = {
    email: createSmtpTransport({
      host: "127.0.0.1",
      port: opts.smtpPort,
      secure: false,
      user: "",
      password: "",
      from: "Shop <no-reply@shop.test>",
      timeoutMs: 2_000,
    }),
    telegram: opts.telegramBaseUrl
      ? createTelegramTransport({ apiBaseUrl: opts.telegramBaseUrl, botToken: BOT_TOKEN, timeoutMs: 2_000 })
      : undefined,
  };
  const metrics = createMetricsRegistry("notification");
  const service: NotificationService = buildNotificationService({
    logger,
    metrics,
    sql,
    verifier: createTokenVerifier({ keys: issuer.keys }),
    grpcCredentials: testGrpcCredentials(),
    transports,
    publicBaseUrl: PUBLIC_BASE_URL,
    oneTimeTokens,
    dispatch: { ...testDispatch, ...opts.dispatch },
  });
  const unlisten = await service.notifications.onPending(() => service.dispatcher.wake());
  return {
    sql,
    issuer,
    metrics,
    service,
    transports,
    async stop() {
      await service.dispatcher.stop();
      await unlisten();
      transports.email.close?.();
      await sql.end({ timeout: 5 });
    },
  };
}

export type RunningService = Awaited<ReturnType<typeof startNotificationService>>;
