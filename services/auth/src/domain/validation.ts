import { AppError } from "@shop/platform";

// The WHATWG "valid e-mail address" grammar, with at least one dot in the domain.
const EMAIL =
  /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
const MAX_EMAIL_LENGTH = 254;

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/** The stored form of an email (trimmed, lower case), or undefined when it is not well-formed. */
export function normaliseEmail(raw: string): string | undefined {
  const email = raw.trim().toLowerCase();
  if (email.length > MAX_EMAIL_LENGTH || !EMAIL.test(email)) return undefined;
  return email;
}

/** What is wrong with a new password, or undefined. Length counts characters, not UTF-16 units. */
export function checkPassword(password: string): string | undefined {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    return `must be ${PASSWORD_MIN_LENGTH}-${PASSWORD_MAX_LENGTH} characters`;
  }
  return undefined;
}

export function requireEmail(raw: string): string {
  const email = normaliseEmail(raw);
  if (!email)
    throw AppError.invalid("email is not a valid address", [{ path: "/email", message: "invalid" }]);
  return email;
}

export function requireNewPassword(password: string): string {
  const problem = checkPassword(password);
  if (problem) throw AppError.invalid(`password ${problem}`, [{ path: "/password", message: problem }]);
  return password;
}

/** A presented password: anything non-empty up to the maximum (older rules may have allowed shorter ones). */
export function requirePresentedPassword(password: string): string {
  if (password.length === 0 || [...password].length > PASSWORD_MAX_LENGTH) {
    throw AppError.invalid("password is missing or too long", [{ path: "/password", message: "invalid" }]);
  }
  return password;
}

export function requireToken(token: string, field = "token"): string {
  if (token.length === 0 || token.length > 200) {
    throw AppError.invalid(`${field} is missing or malformed`, [{ path: `/${field}`, message: "invalid" }]);
  }
  return token;
}
