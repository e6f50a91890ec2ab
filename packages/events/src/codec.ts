import { randomUUID } from "node:crypto";
import { AppError } from "@shop/platform";
import { type TSchema, Type } from "typebox";
import { Compile } from "typebox/compile";
import { type EventVersion, FIRST_VERSION, openSchema, type Upcaster } from "./versioning.js";

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
  /** How to read the older majors of a type. */
  upcasters?: readonly Upcaster[];
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
 * and in the envelope), and brings an older major up to the current one through the upcasters.
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
  const steps = new Map<string, { from: number; check: Validator; upcast: Upcaster["upcast"] }>();
  for (const u of catalogue.upcasters ?? []) {
    const key = `${u.type}@${u.from}`;
    if (!strictPayload.has(u.type)) throw new Error(`upcaster for unknown event type ${u.type}`);
    if (u.from < 1 || u.from >= versionOf(u.type).major) {
      throw new Error(`upcaster ${u.type} from ${u.from} does not lead to ${versionOf(u.type).major}`);
    }
    if (steps.has(key)) throw new Error(`two upcasters for ${u.type} from ${u.from}`);
    steps.set(key, { from: u.from, check: Compile(openSchema(u.schema)), upcast: u.upcast });
  }
  /** Events made by `create`: validated once and frozen, so they cannot have changed since. */
  const created = new WeakSet<object>();

  /** The steps from `major` to the current major of `type`, or undefined when one is missing. */
  function chainOf(type: string, major: number) {
    const chain = [];
    for (let m = major; m < versionOf(type).major; m++) {
      const step = steps.get(`${type}@${m}`);
      if (!step) return undefined;
      chain.push(step);
    }
    return chain;
  }

  /** "1.x, 2.x": the majors of `type` this catalogue reads. */
  function readable(type: string): string {
    const current = versionOf(type).major;
    let oldest = current;
    while (steps.has(`${type}@${oldest - 1}`)) oldest -= 1;
    return Array.from({ length: current - oldest + 1 }, (_, i) => `${oldest + i}.x`).join(", ");
  }

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

  /** The consume check: open envelope and payload, any minor, older majors upcast to the current one. */
  function read(value: unknown): Envelope {
    if (!openEnvelope.Check(value)) {
      throw new EventValidationError(`invalid envelope: ${firstErrors(openEnvelope, value)}`);
    }
    const event = value as Envelope;
    const current = versionOf(event.type).major;
    const chain = event.version <= current ? chainOf(event.type, event.version) : undefined;
    if (!chain) {
      throw new EventValidationError(
        `unsupported ${event.type} version ${formatVersion(event)}: this reader knows ${readable(event.type)}`,
      );
    }
    let payload = event.payload;
    const first = chain[0];
    if (first && !first.check.Check(payload)) {
      throw new EventValidationError(
        `invalid ${event.type} ${event.version}.x payload: ${firstErrors(first.check, payload)}`,
      );
    }
    for (const step of chain) payload = step.upcast(payload);
    const validator = openPayload.get(event.type)!;
    if (!validator.Check(payload)) {
      const upcast = chain.length > 0 ? ` upcast from ${event.version}.x` : "";
      throw new EventValidationError(
        `invalid ${event.type} payload${upcast}: ${firstErrors(validator, payload)}`,
      );
    }
    if (chain.length === 0) return event;
    // Now an event of the current major; the minor it had belonged to the old one.
    const { minor: _, ...rest } = event;
    return { ...rest, version: current, payload };
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
