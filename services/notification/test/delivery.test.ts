import { randomInt } from "node:crypto";
import { createEvent, type EventEnvelope } from "@shop/events";
import type { TransactionSql } from "@shop/platform";
import { createTestDatabase, eventually, type TestDatabase, uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Notification } from "../src/data-access/notification-repository.js";
import {
  PUBLIC_BASE_URL,
  type RunningService,
  sealedToken,
  startNotificationService,
} from "./support/service.js";
import { type SmtpPeer, startSmtpPeer } from "./support/smtp-peer.js";
import { startTelegramPeer, type TelegramPeer } from "./support/telegram-peer.js";

let db: TestDatabase;
let smtp: SmtpPeer;
let telegram: TelegramPeer;
let app: RunningService;
/** Telegram calls per chat id so far, for the chat that fails once and then recovers. */
const seen = new Map<string, number>();

beforeAll(async () => {
  db = await createTestDatabase("notification");
  smtp = await startSmtpPeer({ rejects: (to) => to.startsWith("reject-") });
  telegram = await startTelegramPeer({
    answer: (call) => {
      const n = (seen.get(call.chatId) ?? 0) + 1;
      seen.set(call.chatId, n);
      if (call.chatId.startsWith("-500")) return 500;
      if (call.chatId.startsWith("-501") && n === 1) return 500;
      if (call.chatId.startsWith("-400")) return 400;
      return 200;
    },
  });
  app = await startNotificationService({
    databaseUrl: db.url,
    smtpPort: smtp.port,
    telegramBaseUrl: telegram.baseUrl,
  });
  app.service.dispatcher.start();
});

afterAll(async () => {
  await app?.stop();
  await smtp?.close();
  await telegram?.close();
  await db?.drop();
});

type Handled = "UserRegistered" | "PasswordResetRequested" | "OrderPaid" | "OrderCancelled";
type AnyHandler = (event: EventEnvelope<Handled>, tx: TransactionSql) => Promise<void>;

/** Runs the event's handler in a transaction, as the consumer does. */
async function deliver(event: EventEnvelope<Handled>): Promise<void> {
  const handlers = app.service.eventHandlers as unknown as Record<Handled, AnyHandler>;
  await app.sql.begin((tx) => handlers[event.type](event, tx));
}

async function registerUser(opts: { chatId?: string; email?: string } = {}) {
  const userId = `u-${uid()}`;
  const email = opts.email ?? `${userId}@example.test`;
  await deliver(createEvent("UserRegistered", userId, { userId, email, role: "customer" }));
  if (opts.chatId) await app.service.recipients.linkTelegram(userId, opts.chatId);
  return { userId, email };
}

function orderPaid(userId: string, orderId = randomInt(1, 2 ** 31)) {
  return createEvent("OrderPaid", orderId, {
    orderId,
    userId,
    items: [
      { productId: "p-1", quantity: 2 },
      { productId: "p-2", quantity: 1 },
    ],
    totalCents: 1234,
    currency: "USD",
  });
}

/** The value of one series of a counter in the service's registry. */
async function counter(name: string, labels: Record<string, string>): Promise<number> {
  const metric = await app.metrics.getSingleMetric(name)?.get();
  const series = metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return series?.value ?? 0;
}

/** Every row of every table of the service's database, as text. */
async function wholeDatabase(): Promise<string> {
  const tables = await app.sql<{ name: string }[]>`
    select quote_ident(table_name) as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE'
  `;
  let text = "";
  for (const { name } of tables) {
    const rows = await app.sql.unsafe(`select t::text as row from ${name} t`);
    text += rows.map((r) => r.row).join("\n");
  }
  return text;
}

function rowsOf(eventId: string): Promise<Notification[]> {
  return app.service.notifications.findByEvent(eventId);
}

/** Resolves with the event's rows once every one of them has left PENDING. */
function settled(eventId: string, count: number): Promise<Notification[]> {
  return eventually(async () => {
    const rows = await rowsOf(eventId);
    return rows.length === count && rows.every((r) => r.status !== "PENDING") ? rows : undefined;
  });
}

describe("delivery", () => {
  it("when a user registers, then the verification email with the token link reaches the SMTP server and only a redacted copy is kept", async () => {
    const userId = `u-${uid()}`;
    const email = `${userId}@example.test`;
    const { token, tokenJwe } = await sealedToken("verify_email", userId, email);
    const event = createEvent("UserRegistered", userId, { userId, email, role: "customer", tokenJwe });
    await deliver(event);

    const [mail] = await eventually(() => (smtp.to(email).length ? smtp.to(email) : undefined));
    expect(mail!.subject).toBe("Confirm your email address");
    expect(mail!.from).toBe("no-reply@shop.test");
    expect(mail!.content).toContain(`${PUBLIC_BASE_URL}/verify-email?token=${token}`);
    expect(mail!.content).toContain(`href="${PUBLIC_BASE_URL}/verify-email?token=${token}"`);
    expect(mail!.content).toContain(`confirm it with this code: ${token}`);
    expect(mail!.content).not.toContain("[redacted]");

    const [row] = await settled(event.eventId, 1);
    expect(row).toMatchObject({
      userId,
      type: "VERIFY_EMAIL",
      channel: "email",
      status: "SENT",
      orderId: null,
      sealedToken: null,
    });
    expect(row!.attempts).toBe(1);
    expect(row!.sentAt).toBeInstanceOf(Date);
    expect(row!.body).toContain(`${PUBLIC_BASE_URL}/verify-email?token=[redacted]`);
    expect(row!.bodyHtml).toContain(`href="${PUBLIC_BASE_URL}/verify-email?token=[redacted]"`);
    expect(await wholeDatabase()).not.toContain(token);
  });

  it("when an account is created already verified, then no email is sent but its address is kept", async () => {
    const { userId, email } = await registerUser();
    expect((await app.service.recipients.find(userId))?.email).toBe(email);
    const event = orderPaid(userId);
    await deliver(event);
    await settled(event.eventId, 1);
    // The order email is the only message this address ever got.
    expect(smtp.to(email).map((m) => m.subject)).toEqual([`Order #${event.payload.orderId} is paid`]);
  });

  it("when a password reset is requested, then the reset email with its link is sent and only a redacted copy is kept", async () => {
    const { userId, email } = await registerUser();
    const { token, tokenJwe } = await sealedToken("reset_password", userId, email);
    const event = createEvent("PasswordResetRequested", userId, {
      userId,
      email,
      tokenJwe,
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    await deliver(event);
    const [mail] = await eventually(() => (smtp.to(email).length ? smtp.to(email) : undefined));
    expect(mail!.subject).toBe("Reset your password");
    expect(mail!.content).toContain(`${PUBLIC_BASE_URL}/reset-password?token=${token}`);
    const [row] = await settled(event.eventId, 1);
    expect(row).toMatchObject({ type: "PASSWORD_RESET", status: "SENT", sealedToken: null });
    expect(row!.body).toContain(`${PUBLIC_BASE_URL}/reset-password?token=[redacted]`);
    expect(await wholeDatabase()).not.toContain(token);
  });

  it("when a sealed reset token is replayed in an event naming another address, then nothing is sent and the row fails", async () => {
    const { userId, email } = await registerUser();
    const { token, tokenJwe } = await sealedToken("reset_password", userId, email);
    const attacker = `mallory-${uid()}@example.test`;
    const event = createEvent("PasswordResetRequested", userId, {
      userId,
      email: attacker,
      tokenJwe,
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    await deliver(event);
    const [row] = await settled(event.eventId, 1);
    expect(row).toMatchObject({ status: "FAILED", attempts: 1, sealedToken: null });
    expect(row!.lastError).toContain("does not open");
    expect(smtp.to(attacker)).toHaveLength(0);
    expect(await wholeDatabase()).not.toContain(token);
  });

  it("when a sealed token has expired before it could be sent, then the email fails instead of carrying a dead link", async () => {
    const { userId, email } = await registerUser();
    const expiresAt = new Date(Date.now() - 1_000);
    const { tokenJwe } = await sealedToken("reset_password", userId, email, expiresAt);
    const event = createEvent("PasswordResetRequested", userId, {
      userId,
      email,
      tokenJwe,
      expiresAt: expiresAt.toISOString(),
    });
    await deliver(event);
    const [row] = await settled(event.eventId, 1);
    expect(row).toMatchObject({ status: "FAILED", sealedToken: null });
    expect(smtp.to(email).filter((m) => m.subject === "Reset your password")).toHaveLength(0);
  });

  it("when an order is paid for a user with a linked chat, then an email and a Telegram message go out", async () => {
    const chatId = `${randomInt(1, 2 ** 40)}`;
    const { userId, email } = await registerUser({ chatId });
    const event = orderPaid(userId);
    const { orderId } = event.payload;
    await deliver(event);

    const rows = await settled(event.eventId, 2);
    expect(rows.map((r) => [r.channel, r.status, r.orderId, r.type])).toEqual([
      ["email", "SENT", orderId, "ORDER_PAID"],
      ["telegram", "SENT", orderId, "ORDER_PAID"],
    ]);
    const [mail] = smtp.to(email);
    expect(mail!.subject).toBe(`Order #${orderId} is paid`);
    expect(mail!.content).toContain("$12.34 for 3 item(s)");
    const [message] = telegram.to(chatId);
    expect(message!.token).toBe("123456:test-bot-token");
    expect(message!.text).toContain(`Order #${orderId} is paid: $12.34`);
    expect(
      await counter("notifications_sent_total", { channel: "telegram", type: "ORDER_PAID" }),
    ).toBeGreaterThanOrEqual(1);
  });

  it("when an order is cancelled, then the email names the order and the reason", async () => {
    const { userId, email } = await registerUser();
    const orderId = randomInt(1, 2 ** 31);
    const event = createEvent("OrderCancelled", orderId, {
      orderId,
      userId,
      reason: "PAYMENT_FAILED",
      items: [{ productId: "p-1", quantity: 1 }],
      totalCents: 500,
      currency: "EUR",
    });
    await deliver(event);
    const [row] = await settled(event.eventId, 1);
    expect(row).toMatchObject({ type: "ORDER_CANCELLED", channel: "email", status: "SENT", orderId });
    const [mail] = smtp.to(email);
    expect(mail!.subject).toBe(`Order #${orderId} was cancelled`);
    expect(mail!.content).toContain("the payment did not go through");
    expect(mail!.content).toContain("€5.00");
  });

  it("when the same event is delivered twice, then one message per channel is sent", async () => {
    const chatId = `${randomInt(1, 2 ** 40)}`;
    const { userId, email } = await registerUser({ chatId });
    const event = orderPaid(userId);
    await deliver(event);
    await settled(event.eventId, 2);

    await deliver(event);
    // Nothing new is due: a dispatch round claims nothing, and the peers saw one message each.
    expect(await app.service.dispatcher.runOnce()).toBe(0);
    expect(await rowsOf(event.eventId)).toHaveLength(2);
    expect(smtp.to(email)).toHaveLength(1);
    expect(telegram.to(chatId)).toHaveLength(1);
  });

  it("when the SMTP server keeps rejecting, then the email is retried and ends FAILED with its attempts", async () => {
    const { userId, email } = await registerUser({ email: `reject-${uid()}@example.test` });
    const event = orderPaid(userId);
    await deliver(event);

    const [row] = await settled(event.eventId, 1);
    expect(row).toMatchObject({ status: "FAILED", attempts: 3, sentAt: null });
    expect(row!.lastError).toMatch(/550/);
    expect(smtp.rejected.filter((to) => to === email)).toHaveLength(3);
    expect(smtp.to(email)).toHaveLength(0);
    expect(await counter("notifications_failed_total", { channel: "email" })).toBeGreaterThanOrEqual(1);
  });

  it("when the Telegram API answers 500, then the message is retried and ends FAILED while the email is sent", async () => {
    const chatId = `-500${randomInt(1, 2 ** 40)}`;
    const { userId } = await registerUser({ chatId });
    const event = orderPaid(userId);
    await deliver(event);

    const rows = await settled(event.eventId, 2);
    expect(rows.map((r) => [r.channel, r.status, r.attempts])).toEqual([
      ["email", "SENT", 1],
      ["telegram", "FAILED", 3],
    ]);
    expect(rows[1]!.lastError).toBe("telegram sendMessage: HTTP 500 Internal Server Error");
    expect(telegram.to(chatId)).toHaveLength(3);
  });

  it("when the Telegram API fails once, then the retry sends the message", async () => {
    const chatId = `-501${randomInt(1, 2 ** 40)}`;
    const { userId } = await registerUser({ chatId });
    const event = orderPaid(userId);
    await deliver(event);

    const rows = await settled(event.eventId, 2);
    expect(rows[1]).toMatchObject({ channel: "telegram", status: "SENT", attempts: 2 });
    expect(telegram.to(chatId)).toHaveLength(2);
  });

  it("when Telegram reports the chat unknown, then the message fails at once without retries", async () => {
    const chatId = `-400${randomInt(1, 2 ** 40)}`;
    const { userId } = await registerUser({ chatId });
    const event = orderPaid(userId);
    await deliver(event);

    const rows = await settled(event.eventId, 2);
    expect(rows[1]).toMatchObject({ channel: "telegram", status: "FAILED", attempts: 1 });
    expect(rows[1]!.lastError).toContain("chat not found");
  });

  it("when an order event arrives before the user's registration, then the email waits for the address and is sent", async () => {
    const userId = `u-${uid()}`;
    const email = `${userId}@example.test`;
    const event = orderPaid(userId);
    // Rounds driven by hand, so the registration lands between two attempts.
    await app.service.dispatcher.stop();
    try {
      await deliver(event);
      expect(await app.service.dispatcher.runOnce()).toBe(1);
      const [waiting] = await rowsOf(event.eventId);
      expect(waiting).toMatchObject({ status: "PENDING", recipient: null, attempts: 1 });
      expect(waiting!.lastError).toBe("no email address known for this user yet");

      await deliver(createEvent("UserRegistered", userId, { userId, email, role: "customer" }));
    } finally {
      app.service.dispatcher.start();
    }
    const [row] = await settled(event.eventId, 1);
    expect(row).toMatchObject({ status: "SENT", recipient: email, attempts: 2 });
    expect(smtp.to(email).map((m) => m.subject)).toEqual([`Order #${event.payload.orderId} is paid`]);
  });

  it("when the user's registration never arrives, then the order email ends FAILED saying why", async () => {
    const event = orderPaid(`u-${uid()}`);
    await deliver(event);
    const [row] = await settled(event.eventId, 1);
    expect(row).toMatchObject({ status: "FAILED", attempts: 3, recipient: null });
    expect(row!.lastError).toBe("no email address known for this user yet");
  });

  it("when Telegram is off, then a user with a linked chat gets only the email", async () => {
    const { userId } = await registerUser({ chatId: `${randomInt(1, 2 ** 40)}` });
    const event = orderPaid(userId);
    const { recordOrderPaid } = await import("../src/domain/record-order-paid.js");
    await app.sql.begin((tx) =>
      recordOrderPaid({ ...app.service.recordDeps, telegramEnabled: false }, event, tx),
    );
    const rows = await settled(event.eventId, 1);
    expect(rows.map((r) => r.channel)).toEqual(["email"]);
  });
});
