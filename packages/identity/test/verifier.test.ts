import { randomUUID } from "node:crypto";
import { AppError } from "@shop/platform";
import { generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createTestIssuer } from "../src/test-issuer.js";
import { createTokenVerifier, requireAdmin } from "../src/verifier.js";

describe("token verifier", async () => {
  const issuer = await createTestIssuer();
  const verifier = createTokenVerifier({ keys: issuer.keys });

  it("when a token is signed by a known key, then the identity comes back", async () => {
    const id = await verifier.verify(await issuer.bearer("u1", "admin"));
    expect(id).toMatchObject({ userId: "u1", role: "admin" });
    expect(() => requireAdmin(id)).not.toThrow();
  });

  it("when the header is missing or not Bearer, then 401", async () => {
    await expect(verifier.verify(undefined)).rejects.toMatchObject({ kind: "UNAUTHENTICATED" });
    await expect(verifier.verify("Basic abc")).rejects.toMatchObject({ kind: "UNAUTHENTICATED" });
  });

  it("when a token uses alg none, then it is rejected", async () => {
    const token = new UnsecuredJWT({ role: "admin" })
      .setSubject("u1")
      .setIssuer("shop-saga/auth")
      .setAudience("shop-saga")
      .setExpirationTime("5m")
      .encode();
    await expect(verifier.verifyToken(token)).rejects.toBeInstanceOf(AppError);
  });

  it("when a token is signed by a foreign key with a known-looking kid, then it is rejected", async () => {
    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const kid = issuer.jwks.keys[0]!.kid;
    const token = await new SignJWT({ role: "admin" })
      .setProtectedHeader({ alg: "EdDSA", kid })
      .setSubject("u1")
      .setIssuer("shop-saga/auth")
      .setAudience("shop-saga")
      .setExpirationTime("5m")
      .sign(privateKey);
    await expect(verifier.verifyToken(token)).rejects.toMatchObject({ kind: "UNAUTHENTICATED" });
  });

  it("when a token is HS256 keyed with the public key, then it is rejected", async () => {
    const secret = new TextEncoder().encode(JSON.stringify(issuer.jwks.keys[0]));
    const token = await new SignJWT({ role: "admin" })
      .setProtectedHeader({ alg: "HS256", kid: issuer.jwks.keys[0]!.kid })
      .setSubject("u1")
      .setIssuer("shop-saga/auth")
      .setAudience("shop-saga")
      .setExpirationTime("5m")
      .sign(secret);
    await expect(verifier.verifyToken(token)).rejects.toMatchObject({ kind: "UNAUTHENTICATED" });
  });

  it("when role is neither customer nor admin, then it is rejected", async () => {
    const verifierWithOwnIssuer = createTokenVerifier({ keys: issuer.keys });
    const token = await issuer.token(randomUUID(), "root" as never);
    await expect(verifierWithOwnIssuer.verifyToken(token)).rejects.toMatchObject({ kind: "UNAUTHENTICATED" });
  });

  it("when a customer is asked to be admin, then 403", async () => {
    const id = await verifier.verify(await issuer.bearer("u2"));
    expect(() => requireAdmin(id)).toThrow(expect.objectContaining({ kind: "PERMISSION_DENIED" }));
  });
});
