import { AppError } from "@shop/platform";

/** A bad, used or expired one-time token: the client's mistake (400), not an auth failure. */
export function invalidOneTimeToken(what: string): AppError {
  return new AppError("INVALID_ARGUMENT", `invalid, used or expired ${what} token`, {
    code: "INVALID_TOKEN",
  });
}
