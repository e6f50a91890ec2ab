import type { TSchema } from "typebox";

/**
 * The version of an event type. A new minor only adds optional fields, so every reader of the
 * same major reads it; anything else (a field removed, renamed, retyped or made required) is a
 * new major, which readers of the old one cannot read.
 */
export interface EventVersion {
  major: number;
  minor: number;
}

/** What a type is at when the catalogue does not say. */
export const FIRST_VERSION: EventVersion = { major: 1, minor: 0 };

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
