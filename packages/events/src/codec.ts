import { randomUUID } from "node:crypto";
import { AppError } from "@shop/platform";
import { type TSchema, Type } from "typebox";
import { Compile } from "typebox/compile";
import { type EventVersion, FIRST_VERSION, openSchema } from "./versioning.js";

/** The envelope as it travels, whatever the type. */
export interface Envelope {
  eventId: string;
  type: string;
  /** The type's major version. */
  version: number;
  /** The type's minor version; absent means 0. */
  minor?: number;
  aggregateId: string;
  occurredAt: string;
  payload: unknown;
}

export interface EventCatalogue {
  /** Each type's payload schema at its current version, closed: exactly what a producer may emit. */
  schemas: Record<string, TSchema>;
  /** Each type's current version; 1.0 when absent. */
  versions?: Record<string, EventVersion>;
}

/** Thrown for an event that does not match its schema: never retried, dead-lettered on consume. */
export class EventValidationError extends AppError {
  constructor(message: string) {
    super("INVALID_ARGUMENT", message, { code: "INVALID_EVENT" });
    this.name = "EventValidationError";
  }
}

type Validator = ReturnType<typeof Compile>;

function firstErrors(validator: Validator, value: unknown): string {
  return [...validator.Errors(value)]
    .slice(0, 5)
    .map((e) => `${e.instancePath || "/"} ${e.message}`)
    .join("; ");
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const formatVersion = (e: { version: number; minor?: number }) => `${e.version}.${e.minor ?? 0}`;

/**
 * Writing and reading events of a catalogue. Producers are strict: `create` and `validate` take
 * only the current version of a type, with no field its schema does not name. Readers are open:
 * `read` takes any minor of a major it knows and ignores fields it does not know (in the payload
 * and in the envelope).
 */
export function createEventCodec(catalogue: EventCatalogue) {
  const types = Object.keys(catalogue.schemas);
  const versionOf = (type: string) => catalogue.versions?.[type] ?? FIRST_VERSION;
  const envelopeFields = {
    eventId: Type.String({ format: "uuid" }),
    type: Type.Union(types.map((t) => Type.Literal(t))),
    version: Type.Integer({ minimum: 1 }),
    minor: Type.Optional(Type.Integer({ minimum: 0 })),
    aggregateId: Type.String({ minLength: 1, maxLength: 200 }),
    occurredAt: Type.String({ format: "date-time" }),
    payload: Type.Object({}),
  };
  const strictEnvelope = Compile(Type.Object(envelopeFields, { additionalProperties: false }));
  const openEnvelope = Compile(Type.Object(envelopeFields));
  const strictPayload = new Map(types.map((t) => [t, Compile(catalogue.schemas[t]!)]));
  const openPayload = new Map(types.map((t) => [t, Compile(openSchema(catalogue.schemas[t]!))]));
  /** Events made by `create`: validated once and frozen, so they cannot have changed since. */
  const created = new WeakSet<object>();

  /** The publish check: the current version of the type, envelope and payload closed. */
  function validate(value: unknown): Envelope {
    if (!strictEnvelope.Check(value)) {
      throw new EventValidationError(`invalid envelope: ${firstErrors(strictEnvelope, value)}`);
    }
    const event = value as Envelope;
    const current = versionOf(event.type);
    if (event.version !== current.major || (event.minor ?? 0) !== current.minor) {
      throw new EventValidationError(
        `${event.type} version ${formatVersion(event)} is not the current ${current.major}.${current.minor}`,
      );
    }
    const validator = strictPayload.get(event.type)!;
    if (!validator.Check(event.payload)) {
      throw new EventValidationError(
        `invalid ${event.type} payload: ${firstErrors(validator, event.payload)}`,
      );
    }
    return event;
  }

  /** The consume check: open envelope and payload, any minor of the current major. */
  function read(value: unknown): Envelope {
    if (!openEnvelope.Check(value)) {
      throw new EventValidationError(`invalid envelope: ${firstErrors(openEnvelope, value)}`);
    }
    const event = value as Envelope;
    const current = versionOf(event.type).major;
    if (event.version !== current) {
      throw new EventValidationError(
        `unsupported ${event.type} version ${formatVersion(event)}: this reader knows ${current}.x`,
      );
    }
    const validator = openPayload.get(event.type)!;
    if (!validator.Check(event.payload)) {
      throw new EventValidationError(
        `invalid ${event.type} payload: ${firstErrors(validator, event.payload)}`,
      );
    }
    return event;
  }

  return {
    validate,
    read,

    /** `validate`, skipped for an event `create` made (already valid, and frozen since). */
    ensureValid(value: unknown): Envelope {
      if (typeof value === "object" && value !== null && created.has(value)) return value as Envelope;
      return validate(value);
    },

    /** Parses a Kafka message value (JSON bytes) and reads it. */
    decode(value: Buffer | string | null): Envelope {
      if (value === null) throw new EventValidationError("empty message");
      let parsed: unknown;
      try {
        parsed = JSON.parse(typeof value === "string" ? value : value.toString("utf8"));
      } catch {
        throw new EventValidationError("message is not JSON");
      }
      return read(parsed);
    },

    /** A new event at the type's current version, validated and frozen. */
    create(
      type: string,
      aggregateId: string | number,
      payload: unknown,
      opts: { eventId?: string; occurredAt?: Date } = {},
    ): Envelope {
      const { major, minor } = versionOf(type);
      const event: Envelope = {
        eventId: opts.eventId ?? randomUUID(),
        type,
        version: major,
        // Left out at 0: such events are byte for byte what readers older than minors took.
        ...(minor > 0 ? { minor } : {}),
        aggregateId: String(aggregateId),
        occurredAt: (opts.occurredAt ?? new Date()).toISOString(),
        payload,
      };
      validate(event);
      deepFreeze(event);
      created.add(event);
      return event;
    },
  };
}

export type EventCodec = ReturnType<typeof createEventCodec>;
