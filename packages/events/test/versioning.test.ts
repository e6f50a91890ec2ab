import { Type } from "typebox";
import { describe, expect, it } from "vitest";
import { payloadSchemas } from "../src/catalogue.js";
import { createEventCodec, type Envelope } from "../src/codec.js";
import { createEvent, EventValidationError, readEvent, validateEvent } from "../src/envelope.js";

const closed = { additionalProperties: false } as const;
const viaJson = (e: unknown) => JSON.parse(JSON.stringify(e)) as Envelope;

const cancelledPayload = {
  orderId: 7,
  userId: "u1",
  reason: "TIMEOUT" as const,
  items: [{ productId: "p1", quantity: 1 }],
  totalCents: 100,
  currency: "USD",
};

/** The saga's catalogue as a later release would have it: OrderCancelled 1.1 adds an optional field. */
const newer = createEventCodec({
  schemas: {
    ...payloadSchemas,
    OrderCancelled: Type.Object(
      { ...payloadSchemas.OrderCancelled.properties, cancelledBy: Type.Optional(Type.String()) },
      closed,
    ),
  },
  versions: { OrderCancelled: { major: 1, minor: 1 } },
});

describe("minor versions", () => {
  it("when a newer producer adds a payload field at a higher minor, then today's reader takes it and keeps the field", () => {
    const event = newer.create("OrderCancelled", 7, { ...cancelledPayload, cancelledBy: "sweeper" });
    expect(event).toMatchObject({ version: 1, minor: 1 });
    const read = readEvent(viaJson(event));
    expect(read).toMatchObject({ type: "OrderCancelled", version: 1, minor: 1, payload: cancelledPayload });
    expect((read.payload as { cancelledBy?: string }).cancelledBy).toBe("sweeper");
  });

  it("when a message carries an envelope field or a nested payload field this reader does not know, then it is read", () => {
    const e = createEvent("OrderCancelled", 7, cancelledPayload);
    const extra = {
      ...viaJson(e),
      schemaUrl: "https://example.test/OrderCancelled",
      payload: { ...cancelledPayload, items: [{ productId: "p1", quantity: 1, warehouse: "w1" }] },
    };
    expect(readEvent(extra).eventId).toBe(e.eventId);
  });

  it("when an unknown field is there, then it does not hide a broken known one", () => {
    const e = viaJson(createEvent("OrderCancelled", 7, cancelledPayload));
    expect(() => readEvent({ ...e, payload: { ...cancelledPayload, totalCents: -1, extra: 1 } })).toThrow(
      /invalid OrderCancelled payload: \/totalCents/,
    );
    expect(() => readEvent({ ...e, minor: -1 })).toThrow(/envelope/);
  });

  it("when a producer publishes, then it stays strict: no unknown field, no version but its own", () => {
    const e = createEvent("OrderCancelled", 7, cancelledPayload);
    expect("minor" in e).toBe(false); // minor 0 is left out: what readers before minors took
    const withField = { ...cancelledPayload, cancelledBy: "x" } as typeof cancelledPayload;
    expect(() => createEvent("OrderCancelled", 7, withField)).toThrow(/invalid OrderCancelled payload/);
    expect(() => validateEvent({ ...e, schemaUrl: "x" })).toThrow(/envelope/);
    expect(() => validateEvent(viaJson(newer.create("OrderCancelled", 7, cancelledPayload)))).toThrow(
      /OrderCancelled version 1.1 is not the current 1.0/,
    );
    // The newer catalogue is as strict about its own schema.
    expect(() => newer.create("OrderCancelled", 7, { ...cancelledPayload, cancelled: "x" })).toThrow(
      EventValidationError,
    );
  });

  it("when a newer reader gets an event of an older minor, then it reads it", () => {
    const old = viaJson(createEvent("OrderCancelled", 7, cancelledPayload));
    expect(newer.read(old)).toMatchObject({ version: 1, payload: cancelledPayload });
  });

  it("when a message has a major this reader cannot read, then it fails naming the type and the version", () => {
    const e = viaJson(createEvent("OrderCancelled", 7, cancelledPayload));
    expect(() => readEvent({ ...e, version: 2 })).toThrow(
      "unsupported OrderCancelled version 2.0: this reader knows 1.x",
    );
    expect(() => readEvent({ ...e, version: 3, minor: 4 })).toThrow(
      /unsupported OrderCancelled version 3\.4/,
    );
  });
});
