import { Type } from "typebox";
import { describe, expect, it } from "vitest";
import { payloadSchemas } from "../src/catalogue.js";
import { createEventCodec, type Envelope } from "../src/codec.js";
import { createEvent, EventValidationError, readEvent, validateEvent } from "../src/envelope.js";
import type { Upcaster } from "../src/versioning.js";

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

/** A test-only event type, three majors old: 1 -> 2 renamed `weight`, 2 -> 3 added a required `carrier`. */
const shipmentV1 = Type.Object({ shipmentId: Type.String(), weight: Type.Integer({ minimum: 1 }) }, closed);
const shipmentV2 = Type.Object(
  { shipmentId: Type.String(), weightGrams: Type.Integer({ minimum: 1 }) },
  closed,
);
const shipmentV3 = Type.Object(
  { shipmentId: Type.String(), weightGrams: Type.Integer({ minimum: 1 }), carrier: Type.String() },
  closed,
);
const v1to2: Upcaster = {
  type: "ShipmentBooked",
  from: 1,
  schema: shipmentV1,
  upcast: ({ weight, ...rest }) => ({ ...rest, weightGrams: weight }),
};
const v2to3: Upcaster = {
  type: "ShipmentBooked",
  from: 2,
  schema: shipmentV2,
  upcast: (p) => ({ ...p, carrier: "unknown" }),
};
const shipments = (upcasters: Upcaster[]) =>
  createEventCodec({
    schemas: { ShipmentBooked: shipmentV3 },
    versions: { ShipmentBooked: { major: 3, minor: 0 } },
    upcasters,
  });
const booked = (version: number, payload: unknown, minor?: number) => ({
  eventId: "0f8fad5b-d9cb-469f-a165-70867728950e",
  type: "ShipmentBooked",
  version,
  ...(minor === undefined ? {} : { minor }),
  aggregateId: "s1",
  occurredAt: new Date().toISOString(),
  payload,
});

describe("upcasters", () => {
  const codec = shipments([v2to3, v1to2]);

  it("when an event of an older major arrives, then it is checked against its own schema and upcast step by step", () => {
    const read = codec.read(booked(1, { shipmentId: "s1", weight: 1200, fragile: true }, 2));
    expect(read).toMatchObject({
      type: "ShipmentBooked",
      version: 3,
      payload: { shipmentId: "s1", weightGrams: 1200, carrier: "unknown" },
    });
    expect("minor" in read).toBe(false);
    expect(codec.read(booked(2, { shipmentId: "s1", weightGrams: 5 })).payload).toEqual({
      shipmentId: "s1",
      weightGrams: 5,
      carrier: "unknown",
    });
    const current = booked(3, { shipmentId: "s1", weightGrams: 5, carrier: "dhl" });
    expect(codec.read(current)).toBe(current);
  });

  it("when a producer creates the event, then it is at the current major only", () => {
    expect(
      codec.create("ShipmentBooked", "s1", { shipmentId: "s1", weightGrams: 5, carrier: "dhl" }),
    ).toMatchObject({ version: 3 });
    expect(() => codec.create("ShipmentBooked", "s1", { shipmentId: "s1", weight: 5 })).toThrow(/payload/);
    expect(() => codec.validate(booked(1, { shipmentId: "s1", weight: 5 }))).toThrow(/not the current 3\.0/);
  });

  it("when an old event breaks its own major's schema, or an upcaster yields a bad payload, then it fails with the reason", () => {
    expect(() => codec.read(booked(1, { shipmentId: "s1", weightGrams: 5 }))).toThrow(
      /invalid ShipmentBooked 1\.x payload: \/ .*weight/,
    );
    const broken = shipments([v1to2, { ...v2to3, upcast: (p) => p }]);
    expect(() => broken.read(booked(1, { shipmentId: "s1", weight: 5 }))).toThrow(
      /invalid ShipmentBooked payload upcast from 1\.x: .*carrier/,
    );
  });

  it("when a step of the chain is missing, or the major is newer, then the event is unsupported", () => {
    const partial = shipments([v2to3]);
    expect(() => partial.read(booked(1, { shipmentId: "s1", weight: 5 }))).toThrow(
      "unsupported ShipmentBooked version 1.0: this reader knows 2.x, 3.x",
    );
    expect(() => codec.read(booked(4, { shipmentId: "s1" }))).toThrow(
      "unsupported ShipmentBooked version 4.0: this reader knows 1.x, 2.x, 3.x",
    );
  });

  it("when upcasters do not fit the catalogue, then the codec is not built", () => {
    expect(() => shipments([v1to2, v1to2])).toThrow(/two upcasters/);
    expect(() => shipments([{ ...v1to2, from: 3 }])).toThrow(/does not lead/);
    expect(() => shipments([{ ...v1to2, type: "ParcelLost" }])).toThrow(/unknown event type/);
  });
});
