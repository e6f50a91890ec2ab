import type { TSchema } from "typebox";

/**
 * The version of an event type. A new minor only adds optional fields, so every reader of the
 * same major reads it; anything else (a field removed, renamed, retyped or made required) is a
 * new major, which readers of the old one cannot read without an upcaster.
 */
export interface EventVersion {
  major: number;
  minor: number;
}

/** What a type is at when the catalogue does not say. */
export const FIRST_VERSION: EventVersion = { major: 1, minor: 0 };

/**
 * Turns the payload of major `from` of `type` into the payload of major `from + 1`. Readers check
 * the message against `schema` (the payload schema of major `from`, read open) before the first
 * step, and chain steps up to their current major.
 */
export interface Upcaster {
  type: string;
  from: number;
  schema: TSchema;
  // biome-ignore lint/suspicious/noExplicitAny: the payload has passed `schema`; each upcaster types its own
  upcast(payload: any): unknown;
}

/**
 * The reader's view of a schema: the same, without `additionalProperties: false` at any depth, so
 * fields a newer producer added are ignored instead of refused.
 */
export function openSchema<T extends TSchema>(schema: T): T {
  return open(schema) as T;
}

function open(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(open);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "additionalProperties" && v === false) continue;
    out[k] = open(v);
  }
  return out;
}
