import type { FastifySchemaCompiler } from "fastify";
import type { TSchema } from "typebox";
import { Compile } from "typebox/compile";
import { Value } from "typebox/value";

interface ValidationIssue {
  instancePath: string;
  message: string;
  params: Record<string, unknown>;
  keyword: string;
  schemaPath: string;
}

const MAX_ISSUES = 20;

/**
 * Validates with the same TypeBox schemas that feed OpenAPI, in place of Fastify's Ajv (whose
 * defaults strip unknown properties and coerce body types). Bodies are checked as sent: no
 * coercion, no defaults, nothing removed, so `{"role": "admin"}` is a 400, not a silent drop.
 * Params, query strings and headers arrive as text, so they get defaults and exact conversion.
 */
export const typeboxValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const validator = Compile(schema);
  return (input: unknown) => {
    try {
      const value = httpPart === "body" ? input : fromText(schema, Value.Default(schema, Value.Clone(input)));
      if (validator.Check(value)) return { value };
      return { error: toIssues(validator.Errors(value)) as never };
    } catch {
      // A value the checker cannot even walk is still the client's mistake.
      return {
        error: [
          { instancePath: "", message: "is not valid", params: {}, keyword: "", schemaPath: "" },
        ] as never,
      };
    }
  };
};

const INTEGER_TEXT = /^-?(0|[1-9][0-9]*)$/;
const NUMBER_TEXT = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/**
 * Converts the text values of a flat object (query string, params, headers) to the types its
 * schema asks for, only when the text is exactly such a value: "2.5" stays text for an integer
 * (and fails), where a lenient conversion would truncate it to 2.
 */
function fromText(schema: TSchema, input: unknown): unknown {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties;
  if (!properties || typeof input !== "object" || input === null) return input;
  const out: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  for (const [name, property] of Object.entries(properties)) {
    const raw = out[name];
    if (typeof raw !== "string") continue;
    if (property.type === "integer" && INTEGER_TEXT.test(raw)) out[name] = Number(raw);
    else if (property.type === "number" && NUMBER_TEXT.test(raw)) out[name] = Number(raw);
    else if (property.type === "boolean" && (raw === "true" || raw === "false")) out[name] = raw === "true";
  }
  return out;
}

/** Ajv-shaped issues (what the platform's problem mapper reads), one per missing property. */
function toIssues(errors: Iterable<ValidationIssue>): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const e of errors) {
    if (out.length >= MAX_ISSUES) break;
    // "schema is false" repeats the additionalProperties error for the same property.
    if (e.keyword === "boolean" && e.schemaPath.endsWith("/additionalProperties")) continue;
    if (e.keyword === "required" && Array.isArray(e.params.requiredProperties)) {
      for (const name of e.params.requiredProperties as string[]) {
        out.push({
          ...e,
          message: `must have required property '${name}'`,
          params: { missingProperty: name },
        });
      }
      continue;
    }
    if (e.keyword === "additionalProperties" && Array.isArray(e.params.additionalProperties)) {
      for (const name of e.params.additionalProperties as string[]) {
        out.push({ ...e, instancePath: `${e.instancePath}/${name}`, message: "is not an allowed property" });
      }
      continue;
    }
    out.push(e);
  }
  return out;
}
