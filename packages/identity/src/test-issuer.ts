import { randomUUID } from "node:crypto";
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from "jose";
import { type Role, TOKEN_AUDIENCE, TOKEN_ISSUER } from "./verifier.js";

/**
 * A stand-in issuer for component tests of services other than auth: signs tokens the way the
 * auth service does, and exposes the matching key set for `createTokenVerifier({ keys })`.
 */
export async function createTestIssuer() {
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: "EdDSA", use: "sig" };
  const jwks = { keys: [jwk] };
  return {
    jwks,
    keys: createLocalJWKSet(jwks),
    async token(userId: string, role: Role = "customer", ttlSeconds = 900): Promise<string> {
      return new SignJWT({ role })
        .setProtectedHeader({ alg: "EdDSA", kid, typ: "JWT" })
        .setSubject(userId)
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(privateKey);
    },
    /** `Bearer <token>` for gRPC metadata or an HTTP header. */
    async bearer(userId: string, role: Role = "customer"): Promise<string> {
      return `Bearer ${await this.token(userId, role)}`;
    },
  };
}
