import { randomUUID } from "node:crypto";
import { AppError } from "@shop/platform";
import { Type } from "typebox";
import { Compile } from "typebox/compile";
import { type EventType, eventTypes, type PayloadOf, payloadSchemas } from "./catalogue.js";

export const ENVELOPE_VERSION = 1;

/** One envelope for every event. `aggregateId` is also the Kafka message key. */
export interface EventEnvelope<T extends EventType = EventType> {
  eventId: string;
  type: T;
  version: number;
  aggregateId: string;
  occurredAt: string;
  payload: PayloadOf<T>;
}

/** Any event, narrowed by `type`. */
export type AnyEvent = { [T in EventType]: EventEnvelope<T> }[EventType];

const envelopeValidator = Compile(
  Type.Object(
    {
      eventId: Type.String({ format: "uuid" }),
      type: Type.Union(eventTypes.map((t) => Type.Literal(t))),
      version: Type.Integer({ minimum: 1 }),
      aggregateId: Type.String({ minLength: 1, maxLength: 200 }),
      occurredAt: Type.String({ format: "date-time" }),
      payload: Type.Object({}),
    },
    { additionalProperties: false },
  ),
);
const payloadValidators = Object.fromEntries(
  eventTypes.map((t) => [t, Compile(payloadSchemas[t])]),
) as unknown as Record<EventType, ReturnType<typeof Compile>>;

/** Thrown for an event that does not match its schema: never retried, dead-lettered on consume. */
export class EventValidationError extends AppError {
  constructor(message: string) {
    super("INVALID_ARGUMENT", message, { code: "INVALID_EVENT" });
    this.name = "EventValidationError";
  }
}

function firstErrors(validator: ReturnType<typeof Compile>, value: unknown): string {
  return [...validator.Errors(value)]
    .slice(0, 5)
    .map((e) => `${e.instancePath || "/"} ${e.message}`)
    .join("; ");
}

/** Checks a decoded message against the envelope and its type's payload schema. */
export function validateEvent(value: unknown): AnyEvent {
  if (!envelopeValidator.Check(value)) {
    throw new EventValidationError(`invalid envelope: ${firstErrors(envelopeValidator, value)}`);
  }
  const event = value as EventEnvelope;
  if (event.version !== ENVELOPE_VERSION) {
    throw new EventValidationError(`unsupported ${event.type} version ${event.version}`);
  }
  const validator = payloadValidators[event.type];
  if (!validator.Check(event.payload)) {
    throw new EventValidationError(`invalid ${event.type} payload: ${firstErrors(validator, event.payload)}`);
  }
  return event as AnyEvent;
}

/** Events made by `createEvent`: validated once and frozen, so they cannot have changed since. */
const validated = new WeakSet<object>();

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** `validateEvent`, skipped for an event `createEvent` made (already valid, and frozen since). */
export function ensureValidEvent(value: unknown): AnyEvent {
  if (typeof value === "object" && value !== null && validated.has(value)) return value as AnyEvent;
  return validateEvent(value);
}

/** Parses a Kafka message value (JSON bytes) into a validated event. */
export function decodeEvent(value: Buffer | string | null): AnyEvent {
  if (value === null) throw new EventValidationError("empty message");
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === "string" ? value : value.toString("utf8"));
  } catch {
    throw new EventValidationError("message is not JSON");
  }
  return validateEvent(parsed);
}

/** A new, validated event. */
export function createEvent<T extends EventType>(
  type: T,
  aggregateId: string | number,
  payload: PayloadOf<T>,
  opts: { eventId?: string; occurredAt?: Date } = {},
): EventEnvelope<T> {
  const event = {
    eventId: opts.eventId ?? randomUUID(),
    type,
    version: ENVELOPE_VERSION,
    aggregateId: String(aggregateId),
    occurredAt: (opts.occurredAt ?? new Date()).toISOString(),
    payload,
  };
  validateEvent(event);
  deepFreeze(event);
  validated.add(event);
  return event;
}
