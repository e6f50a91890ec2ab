import { randomInt } from "node:crypto";
import type { EventConsumer } from "@shop/consumer";
import { type AnyEvent, createEvent } from "@shop/events";
import { createKafka, type Producer } from "@shop/kafka";
import { createLogger, createMetricsRegistry } from "@shop/platform";
import {
  createTestDatabase,
  eventually,
  kafkaBrokers,
  publishEvents,
  type TestDatabase,
  uid,
  uniqueTopicPrefix,
} from "@shop/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildEventConsumer } from "../src/app.js";
import {
  PUBLIC_BASE_URL,
  type RunningService,
  sealedToken,
  startNotificationService,
} from "./support/service.js";
import { type SmtpPeer, startSmtpPeer } from "./support/smtp-peer.js";

const logger = createLogger({ service: "notification-test", level: "silent" });
const kafka = createKafka({ brokers: kafkaBrokers(), clientId: "notification-test", logger });
const prefix = uniqueTopicPrefix();
let db: TestDatabase;
let smtp: SmtpPeer;
let app: RunningService;
let consumer: EventConsumer;
let producer: Producer;

beforeAll(async () => {
  db = await createTestDatabase("notification");
  smtp = await startSmtpPeer();
  app = await startNotificationService({
    databaseUrl: db.url,
    smtpPort: smtp.port,
    // Room for the registration to arrive from its own topic while an order email waits.
    dispatch: { maxAttempts: 10, retryBaseMs: 50, retryMaxMs: 500 },
  });
  app.service.dispatcher.start();
  consumer = buildEventConsumer(app.service, {
    kafka,
    sql: app.sql,
    logger,
    metrics: createMetricsRegistry("notification"),
    topicPrefix: prefix,
    retryBaseMs: 50,
    retryMaxMs: 200,
  });
  await consumer.start();
  producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await consumer?.stop();
  await app?.stop();
  await smtp?.close();
  await db?.drop();
});

/** Publishes the event as the services' outbox relays do: to its topic, keyed by aggregate. */
const publish = (event: AnyEvent) => publishEvents(producer, prefix, event);

function registered(userId: string, email: string, tokenJwe?: string) {
  return createEvent("UserRegistered", userId, {
    userId,
    email,
    role: "customer",
    ...(tokenJwe ? { tokenJwe } : {}),
  });
}

function paid(userId: string) {
  const orderId = randomInt(1, 2 ** 31);
  return createEvent("OrderPaid", orderId, {
    orderId,
    userId,
    items: [{ productId: "p-1", quantity: 1 }],
    totalCents: 999,
    currency: "USD",
  });
}

describe("events from Kafka", () => {
  it("when UserRegistered is published, then the verification email is sent from the consumer group", async () => {
    const userId = `u-${uid()}`;
    const email = `${userId}@example.test`;
    const { token, tokenJwe } = await sealedToken("verify_email", userId, email);
    await publish(registered(userId, email, tokenJwe));

    const [mail] = await eventually(() => (smtp.to(email).length ? smtp.to(email) : undefined));
    expect(mail!.subject).toBe("Confirm your email address");
    expect(mail!.content).toContain(`${PUBLIC_BASE_URL}/verify-email?token=${token}`);
  });

  it("when an event is published twice, then one email is sent", async () => {
    const userId = `u-${uid()}`;
    const email = `${userId}@example.test`;
    await publish(registered(userId, email));
    const event = paid(userId);
    await publish(event);
    await publish(event);
    // A marker on the same key (so the same partition) after both copies: once it is handled,
    // both copies were consumed.
    const { orderId } = event.payload;
    const marker = createEvent("OrderCancelled", orderId, {
      orderId,
      userId,
      reason: "TIMEOUT",
      items: [],
      totalCents: 999,
      currency: "USD",
    });
    await publish(marker);

    for (const id of [marker.eventId, event.eventId]) {
      await eventually(async () => {
        const rows = await app.service.notifications.findByEvent(id);
        return rows[0]?.status === "SENT" ? rows : undefined;
      });
    }
    expect(await app.service.notifications.findByEvent(event.eventId)).toHaveLength(1);
    expect(smtp.to(email).filter((m) => m.subject === `Order #${orderId} is paid`)).toHaveLength(1);
  });

  it("when the order event arrives before the registration, then the email is sent once the address is known", async () => {
    const userId = `u-${uid()}`;
    const email = `${userId}@example.test`;
    const event = paid(userId);
    await publish(event);
    await publish(registered(userId, email));

    const [mail] = await eventually(() => (smtp.to(email).length ? smtp.to(email) : undefined));
    expect(mail!.subject).toBe(`Order #${event.payload.orderId} is paid`);
  });
});
