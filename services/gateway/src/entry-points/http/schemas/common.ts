import { type TSchema, Type } from "typebox";

/** RFC 9457 problem details, as every error response is shaped. */
export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    code: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { title: "Problem", description: "RFC 9457 problem details (application/problem+json)" },
);

/** `?limit=` 1-100 (default 20) and an opaque `?cursor=`. */
export const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 1024, description: "opaque; from nextCursor" })),
  },
  { additionalProperties: false },
);

export const DEFAULT_LIMIT = 20;

export function Page<T extends TSchema>(item: T) {
  return Type.Object(
    {
      items: Type.Array(item),
      nextCursor: Type.Union([Type.String(), Type.Null()], { description: "null on the last page" }),
    },
    { description: "one page; pass nextCursor as ?cursor= for the next" },
  );
}

/** An opaque id in a path: any string (one that names nothing gives 404, never 400). */
export const OpaqueIdParams = Type.Object({ id: Type.String() });

export const bearerAuth = [{ bearerAuth: [] }];

/** Error responses documented on every route. */
export const problemResponses = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: describeStatus(s), content: { "application/problem+json": { schema: Problem } } },
    ]),
  );

function describeStatus(status: number): string {
  return (
    (
      {
        400: "invalid request",
        401: "missing, invalid or expired access token",
        403: "not allowed for this role",
        404: "not found",
        409: "conflict",
        413: "body over 1 MiB",
        422: "unprocessable",
        429: "rate limited (see Retry-After)",
        503: "a downstream service is unavailable",
        504: "a downstream service timed out",
      } as Record<number, string>
    )[status] ?? "error"
  );
}
