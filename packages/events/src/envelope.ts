import {
  type EventType,
  eventUpcasters,
  eventVersions,
  type PayloadOf,
  payloadSchemas,
} from "./catalogue.js";
import { createEventCodec } from "./codec.js";

export { EventValidationError } from "./codec.js";

/** One envelope for every event. `aggregateId` is also the Kafka message key. */
export interface EventEnvelope<T extends EventType = EventType> {
  eventId: string;
  type: T;
  /** The type's major version (see README: versions). */
  version: number;
  /** The type's minor version; absent means 0. */
  minor?: number;
  aggregateId: string;
  occurredAt: string;
  payload: PayloadOf<T>;
}

/** Any event, narrowed by `type`. */
export type AnyEvent = { [T in EventType]: EventEnvelope<T> }[EventType];

/** The saga's catalogue: strict for producers, open (and upcasting) for consumers. */
const codec = createEventCodec({
  schemas: payloadSchemas,
  versions: eventVersions,
  upcasters: eventUpcasters,
});

/**
 * The publish check: the envelope and payload of the type's current version, with no field the
 * schemas do not name, so a producer cannot emit what it did not mean to.
 */
export function validateEvent(value: unknown): AnyEvent {
  return codec.validate(value) as AnyEvent;
}

/**
 * The consume check: ignores fields it does not know, takes any minor of a known major, and
 * brings an older major up to the current one. A major it cannot read is an EventValidationError.
 */
export function readEvent(value: unknown): AnyEvent {
  return codec.read(value) as AnyEvent;
}

/** `validateEvent`, skipped for an event `createEvent` made (already valid, and frozen since). */
export function ensureValidEvent(value: unknown): AnyEvent {
  return codec.ensureValid(value) as AnyEvent;
}

/** Parses a Kafka message value (JSON bytes) into an event, read as a consumer reads it. */
export function decodeEvent(value: Buffer | string | null): AnyEvent {
  return codec.decode(value) as AnyEvent;
}

/** A new, validated event at its type's current version. */
export function createEvent<T extends EventType>(
  type: T,
  aggregateId: string | number,
  payload: PayloadOf<T>,
  opts: { eventId?: string; occurredAt?: Date } = {},
): EventEnvelope<T> {
  return codec.create(type, aggregateId, payload, opts) as EventEnvelope<T>;
}
