import { AppError } from "@shop/platform";

/**
 * Per method, the request fields (dotted paths, array indices left out: `items.note`) that are
 * free text and may carry tab and line feed. Every other string rejects every C0 control.
 */
export type FreeTextFields = Record<string, readonly string[]>;

/** Whether `text` holds a C0 control (U+0000-U+001F), tab and line feed excepted when `freeText`. */
function hasControl(text: string, freeText: boolean): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && !(freeText && (c === 0x09 || c === 0x0a))) return true;
  }
  return false;
}

/**
 * The first request string (or map key) holding a C0 control character, as a path such as
 * `/items/0/name`; undefined when there is none. Bytes fields are not text and are skipped.
 * Iterative, so a deeply nested message cannot exhaust the stack.
 */
export function findControlCharacter(request: unknown, freeText: readonly string[] = []): string | undefined {
  const allowed = new Set(freeText);
  const stack: { value: unknown; path: string; field: string }[] = [{ value: request, path: "", field: "" }];
  while (stack.length > 0) {
    const { value, path, field } = stack.pop()!;
    if (typeof value === "string") {
      if (hasControl(value, allowed.has(field))) return path || "/";
    } else if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) stack.push({ value: item, path: `${path}/${i}`, field });
    } else if (value !== null && typeof value === "object" && !Buffer.isBuffer(value)) {
      for (const [key, item] of Object.entries(value)) {
        if (hasControl(key, false)) return `${path}/${encodeURIComponent(key)}`;
        stack.push({ value: item, path: `${path}/${key}`, field: field ? `${field}.${key}` : key });
      }
    }
  }
  return undefined;
}

/** Throws INVALID_ARGUMENT when a request string holds a control character it may not hold. */
export function rejectControlCharacters(request: unknown, freeText?: readonly string[]): void {
  const path = findControlCharacter(request, freeText);
  if (path === undefined) return;
  const message = "must not contain control characters";
  throw AppError.invalid(`${path} ${message}`, [{ path, message }]);
}
