import { randomUUID } from "node:crypto";
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from "@shop/identity";
import { SignJWT } from "jose";
import type { Role } from "../data-access/users-repository.js";
import type { KeyRing } from "./key-ring.js";

/** The spec caps access tokens at 15 minutes; key retirement relies on this bound. */
export const MAX_ACCESS_TOKEN_TTL_SECONDS = 900;

/**
 * An EdDSA JWT signed by the newest active key, naming it in `kid`. Besides the standard claims it
 * carries `role` and `email_verified` (as of issuing: a refresh after verifying updates it), so
 * verifiers can enforce REQUIRE_VERIFIED_EMAIL without calling this service.
 */
export async function signAccessToken(
  keys: KeyRing,
  user: { id: string; role: Role; emailVerified?: boolean },
  ttlSeconds: number,
): Promise<string> {
  const { signing } = await keys.current();
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: user.role, email_verified: user.emailVerified ?? false })
    .setProtectedHeader({ alg: signing.algorithm, kid: signing.kid, typ: "JWT" })
    .setSubject(user.id)
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + Math.min(ttlSeconds, MAX_ACCESS_TOKEN_TTL_SECONDS))
    .setJti(randomUUID())
    .sign(signing.privateKey);
}
