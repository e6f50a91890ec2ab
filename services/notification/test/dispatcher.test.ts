import { randomUUID } from "node:crypto";
import { createTestDatabase, eventually, type TestDatabase, uid } from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NewNotification } from "../src/data-access/notification-repository.js";
import { type RunningService, startNotificationService } from "./support/service.js";
import { startSmtpPeer } from "./support/smtp-peer.js";

let db: TestDatabase;
const running: RunningService[] = [];

beforeAll(async () => {
  db = await createTestDatabase("notification");
});

afterAll(async () => {
  for (const app of running) await app.stop();
  await db?.drop();
});

async function start(smtpPort: number, dispatch = {}) {
  const app = await startNotificationService({ databaseUrl: db.url, smtpPort, dispatch });
  running.push(app);
  return app;
}

function email(to: string): NewNotification {
  return {
    eventId: randomUUID(),
    userId: `u-${uid()}`,
    type: "ORDER_PAID",
    channel: "email",
    orderId: 1,
    recipient: to,
    subject: `Hello ${to}`,
    body: "text",
    bodyHtml: "<p>html</p>",
  };
}

describe("dispatcher", () => {
  it("when two instances dispatch the same backlog, then every email is sent exactly once", async () => {
    const smtp = await startSmtpPeer();
    const [a, b] = [await start(smtp.port), await start(smtp.port)];
    const batch = Array.from({ length: 30 }, () => email(`${uid()}@example.test`));
    await a!.service.notifications.insertPending(batch);

    a!.service.dispatcher.start();
    b!.service.dispatcher.start();
    await eventually(async () => ((await a!.service.notifications.countPending()) === 0 ? true : undefined));

    for (const n of batch) expect(smtp.to(n.recipient!)).toHaveLength(1);
    expect(smtp.received).toHaveLength(30);
    for (const app of [a, b]) await app!.service.dispatcher.stop();
    await smtp.close();
  });

  it("when pending rows commit in a transaction of the service's pool, then the dispatcher sends them at once, not at its next poll", async () => {
    const smtp = await startSmtpPeer();
    const app = await start(smtp.port, { pollIntervalMs: 10 * 60_000 });
    app.service.dispatcher.start();
    const n = email(`${uid()}@example.test`);
    await app.sql.begin((tx) => app.service.notifications.insertPending([n], tx));
    await eventually(() => (smtp.to(n.recipient!).length === 1 ? true : undefined));
    await app.service.dispatcher.stop();
    await smtp.close();
  });

  it("when a round claims less than a batch, then the dispatcher asks when the next row is due instead of claiming again", async () => {
    const smtp = await startSmtpPeer();
    const app = await start(smtp.port, { pollIntervalMs: 10 * 60_000 });
    const { notifications } = app.service;
    const calls: string[] = [];
    const claimDue = notifications.claimDue.bind(notifications);
    const nextDueAt = notifications.nextDueAt.bind(notifications);
    notifications.claimDue = async (...args) => {
      const rows = await claimDue(...args);
      calls.push(`claimed ${rows.length}`);
      return rows;
    };
    notifications.nextDueAt = async (...args) => {
      calls.push("next due");
      return nextDueAt(...args);
    };
    app.service.dispatcher.start();
    const asked = (times: number) => () =>
      calls.filter((c) => c === "next due").length === times ? true : undefined;
    await eventually(asked(1));
    const n = email(`${uid()}@example.test`);
    await app.sql.begin((tx) => notifications.insertPending([n], tx));
    await eventually(asked(2));

    expect(calls).toEqual(["claimed 0", "next due", "claimed 1", "next due"]);
    expect(smtp.to(n.recipient!)).toHaveLength(1);
    await app.service.dispatcher.stop();
    await smtp.close();
  });

  it("when the SMTP server is down, then the email waits and goes out once the server is back", async () => {
    const probe = await startSmtpPeer();
    const port = probe.port;
    await probe.close();
    const app = await start(port, { maxAttempts: 50, retryBaseMs: 50, retryMaxMs: 200 });
    const n = email(`${uid()}@example.test`);
    await app.service.notifications.insertPending([n]);
    app.service.dispatcher.start();

    const [failing] = await eventually(async () => {
      const rows = await app.service.notifications.findByEvent(n.eventId);
      return rows[0]?.lastError ? rows : undefined;
    });
    expect(failing).toMatchObject({ status: "PENDING" });
    expect(failing!.lastError).toMatch(/ECONNREFUSED/);

    const smtp = await startSmtpPeer({ port });
    const [sent] = await eventually(async () => {
      const rows = await app.service.notifications.findByEvent(n.eventId);
      return rows[0]?.status === "SENT" ? rows : undefined;
    });
    expect(sent!.attempts).toBeGreaterThan(1);
    expect(smtp.to(n.recipient!)).toHaveLength(1);
    await app.service.dispatcher.stop();
    await smtp.close();
  });

  it("when the dispatcher stops during a send, then that send finishes and is recorded as SENT", async () => {
    const smtp = await startSmtpPeer({ delayMs: 300 });
    const app = await start(smtp.port);
    const n = email(`${uid()}@example.test`);
    app.service.dispatcher.start();
    await app.service.notifications.insertPending([n]);
    await eventually(() => (smtp.started() > 0 ? true : undefined));

    await app.service.dispatcher.stop();

    const [row] = await app.service.notifications.findByEvent(n.eventId);
    expect(row).toMatchObject({ status: "SENT", attempts: 1 });
    expect(smtp.to(n.recipient!)).toHaveLength(1);
    await smtp.close();
  });

  it("when a local SMTP server offers STARTTLS with a self-signed certificate, then the email goes over TLS", async () => {
    const smtp = await startSmtpPeer({ startTls: true });
    const app = await start(smtp.port);
    const n = email(`${uid()}@example.test`);
    await app.service.notifications.insertPending([n]);
    app.service.dispatcher.start();
    const [mail] = await eventually(() => (smtp.to(n.recipient!).length ? smtp.to(n.recipient!) : undefined));
    expect(mail!.secure).toBe(true);
    await app.service.dispatcher.stop();
    await smtp.close();
  });

  it("when rows are pending, then the backlog gauge reports them", async () => {
    const app = await start(1);
    const before = await app.service.notifications.countPending();
    await app.service.notifications.insertPending([
      email(`${uid()}@example.test`),
      email(`${uid()}@example.test`),
    ]);
    const metrics = await app.metrics.getSingleMetricAsString("notifications_dispatch_backlog");
    expect(metrics).toContain(`notifications_dispatch_backlog{service="notification"} ${before + 2}`);
  });
});
