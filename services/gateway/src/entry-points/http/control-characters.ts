import { AppError } from "@shop/platform";
import type { FastifyInstance } from "fastify";

/**
 * Schema annotation of a free-text string (a product description): it may hold tab and line
 * feed. Shows in the OpenAPI document as a vendor extension.
 */
export const FREE_TEXT = { "x-free-text": true } as const;

/** Whether `text` holds a C0 control (U+0000-U+001F), tab and line feed excepted when `freeText`. */
function hasControl(text: string, freeText: boolean): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && !(freeText && (c === 0x09 || c === 0x0a))) return true;
  }
  return false;
}
const MESSAGE = "must not contain control characters";

interface SchemaNode {
  "x-free-text"?: boolean;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
}

const isFreeText = (s: SchemaNode | undefined): boolean =>
  s?.["x-free-text"] === true || (s?.anyOf?.some(isFreeText) ?? false);

function childOf(s: SchemaNode | undefined, key: string | number): SchemaNode | undefined {
  if (!s) return undefined;
  if (typeof key === "number") return s.items ?? s.anyOf?.find((b) => b.items)?.items;
  const extra = typeof s.additionalProperties === "object" ? s.additionalProperties : undefined;
  return s.properties?.[key] ?? s.anyOf?.find((b) => b.properties?.[key])?.properties?.[key] ?? extra;
}

/**
 * The path (`/items/0/name`) of the first string or key in `value` holding a C0 control character,
 * tab and line feed excepted where the schema marks the string as free text; undefined if none.
 * Iterative: a body without a schema may nest deeply.
 */
export function findControlCharacter(value: unknown, schema?: unknown): string | undefined {
  const stack: { value: unknown; schema: SchemaNode | undefined; path: string }[] = [
    { value, schema: schema as SchemaNode | undefined, path: "" },
  ];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (typeof node.value === "string") {
      if (hasControl(node.value, isFreeText(node.schema))) return node.path || "/";
    } else if (Array.isArray(node.value)) {
      for (const [i, item] of node.value.entries()) {
        stack.push({ value: item, schema: childOf(node.schema, i), path: `${node.path}/${i}` });
      }
    } else if (node.value !== null && typeof node.value === "object") {
      for (const [key, item] of Object.entries(node.value)) {
        if (hasControl(key, false)) return `${node.path}/${encodeURIComponent(key)}`;
        stack.push({ value: item, schema: childOf(node.schema, key), path: `${node.path}/${key}` });
      }
    }
  }
  return undefined;
}

/**
 * One check for every route: no text the API takes may carry NUL or another C0 control (tab and
 * line feed only where the schema says free text). Downstream they break SQL text (a NUL is a 500
 * from PostgreSQL), log lines and terminals. Runs before the handler, after authentication and
 * schema validation, so an anonymous caller still gets 401 first. A path parameter with a control
 * character names no resource: 404, as the contract wants for opaque ids; query and body: 400.
 */
export function installControlCharacterCheck(app: FastifyInstance): void {
  app.addHook("preHandler", async (req) => {
    if (req.routeOptions.url === undefined) return; // no route matched: the 404 stands
    const schema = (req.routeOptions.schema ?? {}) as { querystring?: unknown; body?: unknown };
    if (findControlCharacter(req.params) !== undefined) throw AppError.notFound("no such resource");
    for (const [part, value, partSchema] of [
      ["querystring", req.query, schema.querystring],
      ["body", req.body, schema.body],
    ] as const) {
      const path = findControlCharacter(value, partSchema);
      if (path !== undefined)
        throw AppError.invalid(`${part}${path} ${MESSAGE}`, [{ path, message: MESSAGE }]);
    }
  });
}
