import { randomInt, randomUUID } from "node:crypto";
import { createGrpcClient, loadGrpcCredentials, type PromiseClient, protos } from "@shop/grpc";
import { createTestDatabase, type TestDatabase, testTlsConfig, uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewNotification } from "../src/data-access/notification-repository.js";
import { type RunningService, startNotificationService } from "./support/service.js";

type Client = PromiseClient<InstanceType<ReturnType<typeof protos>["notification"]["NotificationService"]>>;

let db: TestDatabase;
let app: RunningService;
let client: Client;

beforeAll(async () => {
  db = await createTestDatabase("notification");
  // Nothing here sends: the SMTP port is never dialled because the dispatcher is not started.
  app = await startNotificationService({ databaseUrl: db.url, smtpPort: 1 });
  const port = await app.service.grpc.listen("127.0.0.1", 0);
  client = createGrpcClient(protos().notification.NotificationService, `127.0.0.1:${port}`, {
    credentials: loadGrpcCredentials(testTlsConfig("gateway")).client("notification"),
  });
});

afterAll(async () => {
  client?.close();
  await app?.service.grpc.shutdown(1_000);
  await app?.stop();
  await db?.drop();
});

function row(userId: string, overrides: Partial<NewNotification> = {}): NewNotification {
  return {
    eventId: randomUUID(),
    userId,
    type: "ORDER_PAID",
    channel: "email",
    orderId: randomInt(1, 2 ** 31),
    recipient: `${userId}@example.test`,
    subject: "s",
    body: "b",
    bodyHtml: null,
    ...overrides,
  };
}

/** Records one notification per call, in order, so "newest first" is well defined. */
async function recordInOrder(rows: NewNotification[]): Promise<void> {
  for (const r of rows) await app.service.notifications.insertPending([r]);
}

describe("NotificationService over gRPC", () => {
  it("when a user lists notifications, then only their own come back, newest first, in the contract's shape", async () => {
    const me = `u-${uid()}`;
    const other = `u-${uid()}`;
    const account = row(me, { type: "VERIFY_EMAIL", orderId: null });
    const paid = row(me);
    const telegram = row(me, {
      eventId: paid.eventId,
      orderId: paid.orderId,
      channel: "telegram",
      recipient: "42",
    });
    await recordInOrder([account, row(other), paid, telegram, row(other)]);

    const page = await client.ListNotifications(
      { limit: 10 },
      { authorization: await app.issuer.bearer(me) },
    );

    expect(page.items.map((n) => [n.type, n.channel, n.status, n.hasOrderId, n.orderId])).toEqual([
      ["ORDER_PAID", "telegram", "PENDING", true, paid.orderId],
      ["ORDER_PAID", "email", "PENDING", true, paid.orderId],
      ["VERIFY_EMAIL", "email", "PENDING", false, 0],
    ]);
    expect(page.nextCursor).toBe("");
    for (const n of page.items) {
      expect(n.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(new Date(n.createdAt).toISOString()).toBe(n.createdAt);
      expect(n.attempts).toBe(0);
    }
  });

  it("when the list is longer than a page, then the cursor walks it without gaps or repeats", async () => {
    const me = `u-${uid()}`;
    const rows = Array.from({ length: 5 }, () => row(me));
    await recordInOrder(rows);
    const authorization = await app.issuer.bearer(me);

    const seen: number[] = [];
    let cursor = "";
    let pages = 0;
    do {
      const page = await client.ListNotifications({ limit: 2, cursor }, { authorization });
      seen.push(...page.items.map((n) => n.orderId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);

    expect(pages).toBe(3);
    expect(seen).toEqual(rows.map((r) => r.orderId).reverse());
  });

  it("when a user has no notifications, then the list is empty", async () => {
    const page = await client.ListNotifications({}, { authorization: await app.issuer.bearer(`u-${uid()}`) });
    expect(page).toMatchObject({ items: [], nextCursor: "" });
  });

  it("when the token is missing or forged, then the call is UNAUTHENTICATED", async () => {
    await expect(client.ListNotifications({})).rejects.toMatchObject({ kind: "UNAUTHENTICATED" });
    const stranger = await (await import("@shop/identity")).createTestIssuer();
    await expect(
      client.ListNotifications({}, { authorization: await stranger.bearer(`u-${uid()}`) }),
    ).rejects.toMatchObject({ kind: "UNAUTHENTICATED" });
    await expect(client.LinkTelegram({ chatId: "1" })).rejects.toMatchObject({ kind: "UNAUTHENTICATED" });
  });

  it("when the limit or cursor is malformed, then the call is INVALID_ARGUMENT", async () => {
    const authorization = await app.issuer.bearer(`u-${uid()}`);
    await expect(client.ListNotifications({ limit: 101 }, { authorization })).rejects.toMatchObject({
      kind: "INVALID_ARGUMENT",
    });
    await expect(
      client.ListNotifications({ cursor: "not-a-cursor" }, { authorization }),
    ).rejects.toMatchObject({
      kind: "INVALID_ARGUMENT",
    });
  });

  it("when a user links a Telegram chat, then it is stored for them and a new link replaces it", async () => {
    const me = `u-${uid()}`;
    await app.service.recipients.saveEmail(me, `${me}@example.test`);
    const authorization = await app.issuer.bearer(me);

    const link = await client.LinkTelegram({ chatId: "-1001234567890" }, { authorization });
    expect(link.chatId).toBe("-1001234567890");
    expect(Date.now() - new Date(link.linkedAt).getTime()).toBeLessThan(60_000);
    expect((await app.service.recipients.find(me))?.telegramChatId).toBe("-1001234567890");

    // Linking again replaces the chat.
    await client.LinkTelegram({ chatId: "777" }, { authorization });
    expect((await app.service.recipients.find(me))?.telegramChatId).toBe("777");
  });

  it("when the chat id is not a number of at most 32 characters, then LinkTelegram is INVALID_ARGUMENT and stores nothing", async () => {
    const me = `u-${uid()}`;
    const authorization = await app.issuer.bearer(me);
    for (const chatId of ["", "abc", "12a", "--1", "1".repeat(33), "@channel"]) {
      await expect(client.LinkTelegram({ chatId }, { authorization })).rejects.toMatchObject({
        kind: "INVALID_ARGUMENT",
      });
    }
    expect(await app.service.recipients.find(me)).toBeUndefined();
    // The longest accepted id.
    await expect(
      client.LinkTelegram({ chatId: `-${"9".repeat(31)}` }, { authorization }),
    ).resolves.toMatchObject({
      chatId: `-${"9".repeat(31)}`,
    });
  });
});
