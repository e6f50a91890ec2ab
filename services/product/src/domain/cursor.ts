import { AppError } from "@shop/platform";
import { isProductId } from "./product.js";

/** Where a page ends: the (createdAt, id) of its last product, the list's sort key. */
export interface PagePosition {
  createdAt: string;
  id: string;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

/** Opaque to clients: base64url of a small JSON document. */
export function encodeCursor(position: PagePosition): string {
  return Buffer.from(JSON.stringify({ t: position.createdAt, i: position.id })).toString("base64url");
}

/** A cursor this service did not hand out is a client mistake (INVALID_ARGUMENT), never a 500. */
export function decodeCursor(cursor: string): PagePosition {
  try {
    const { t, i } = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as {
      t: unknown;
      i: unknown;
    };
    if (typeof t === "string" && TIMESTAMP.test(t) && typeof i === "string" && isProductId(i)) {
      return { createdAt: t, id: i };
    }
  } catch {
    // fall through
  }
  throw AppError.invalid("cursor is not valid", [
    { path: "/cursor", message: "is not a cursor from this list" },
  ]);
}
