import { randomUUID } from "node:crypto";
import { AppError } from "@shop/platform";
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createTestIssuer } from "../src/test-issuer.js";
import { createTokenVerifier, requireAdmin, type VerifierOptions } from "../src/verifier.js";

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

describe("token verifier: lifetime bounds", async () => {
  // A key the verifier trusts, so that only the claims decide.
  const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
  const kid = randomUUID();
  const keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: "EdDSA" }] });
  const verifier = createTokenVerifier({ keys });
  const now = () => Math.floor(Date.now() / 1000);

  function sign(claims: { iat?: number; exp?: number }): Promise<string> {
    const jwt = new SignJWT({ role: "admin" })
      .setProtectedHeader({ alg: "EdDSA", kid, typ: "JWT" })
      .setSubject("u-life")
      .setIssuer("shop-saga/auth")
      .setAudience("shop-saga");
    if (claims.iat !== undefined) jwt.setIssuedAt(claims.iat);
    if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
    return jwt.sign(privateKey);
  }

  it("when a validly signed token lives 15 minutes, then it is accepted", async () => {
    const token = await sign({ iat: now(), exp: now() + 900 });
    await expect(verifier.verifyToken(token)).resolves.toMatchObject({ userId: "u-life", role: "admin" });
  });

  it("when a validly signed token lives a year, then it is rejected", async () => {
    const token = await sign({ iat: now(), exp: now() + 365 * 24 * 3600 });
    await expect(verifier.verifyToken(token)).rejects.toMatchObject({ kind: "UNAUTHENTICATED" });
  });

  it("when a validly signed token has no exp, then it is rejected", async () => {
    const token = await sign({ iat: now() });
    await expect(verifier.verifyToken(token)).rejects.toMatchObject({ kind: "UNAUTHENTICATED" });
  });

  it("when a validly signed token has no iat, then it is rejected", async () => {
    const token = await sign({ exp: now() + 300 });
    await expect(verifier.verifyToken(token)).rejects.toMatchObject({ kind: "UNAUTHENTICATED" });
  });

  it("when a token is issued far in the future to stretch its use, then it is rejected", async () => {
    const later = now() + 365 * 24 * 3600;
    const token = await sign({ iat: later, exp: later + 900 });
    await expect(verifier.verifyToken(token)).rejects.toMatchObject({ kind: "UNAUTHENTICATED" });
  });

  it("when the maximum is configured lower, then a longer token is rejected", async () => {
    const strict = createTokenVerifier({ keys, maxLifetimeSeconds: 300 });
    const token = await sign({ iat: now(), exp: now() + 600 });
    await expect(strict.verifyToken(token)).rejects.toMatchObject({ kind: "UNAUTHENTICATED" });
    await expect(verifier.verifyToken(token)).resolves.toMatchObject({ userId: "u-life" });
  });
});

describe("token verifier: verified tokens remembered", async () => {
  const issuer = await createTestIssuer();
  /** A verifier over the test issuer's keys that counts key look-ups, i.e. signature checks. */
  function counting(opts: Omit<VerifierOptions, "keys"> = { cacheMaxAgeMs: 60_000 }) {
    const checks = { count: 0 };
    const verifier = createTokenVerifier({
      ...opts,
      keys: (header, token) => {
        checks.count++;
        return issuer.keys(header, token);
      },
    });
    return { verifier, checks };
  }

  afterEach(() => {
    vi.useRealTimers();
  });

  it("when the same token comes again, then its signature is not checked again", async () => {
    const { verifier, checks } = counting();
    const token = await issuer.token("u-cache", "admin");
    const first = await verifier.verifyToken(token);
    const second = await verifier.verifyToken(token);
    expect(second).toEqual(first);
    expect(second).toMatchObject({ userId: "u-cache", role: "admin", token });
    expect(checks.count).toBe(1);
  });

  it("when a remembered token has expired, then it is refused", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { verifier } = counting();
    const token = await issuer.token("u-exp", "customer", 30);
    await verifier.verifyToken(token);
    vi.setSystemTime(Date.now() + 31_000);
    await expect(verifier.verifyToken(token)).rejects.toMatchObject({ kind: "UNAUTHENTICATED" });
  });

  it("when the max age has passed, then the token is checked again", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { verifier, checks } = counting({ cacheMaxAgeMs: 10_000 });
    const token = await issuer.token("u-age");
    await verifier.verifyToken(token);
    vi.setSystemTime(Date.now() + 10_001);
    await verifier.verifyToken(token);
    expect(checks.count).toBe(2);
  });

  it("when a token fails, then it is not remembered and fails again", async () => {
    const { verifier, checks } = counting();
    const token = await issuer.token("u-bad");
    const tampered = `${token.slice(0, -2)}${token.endsWith("AA") ? "BB" : "AA"}`;
    await expect(verifier.verifyToken(tampered)).rejects.toMatchObject({ kind: "UNAUTHENTICATED" });
    await expect(verifier.verifyToken(tampered)).rejects.toMatchObject({ kind: "UNAUTHENTICATED" });
    expect(checks.count).toBe(2);
  });

  it("when more tokens come than it keeps, then the oldest is checked again and the newest is not", async () => {
    const { verifier, checks } = counting({ cacheMaxAgeMs: 60_000, cacheMaxEntries: 2 });
    const [t1, t2, t3] = await Promise.all(["a", "b", "c"].map((u) => issuer.token(u)));
    for (const t of [t1!, t2!, t3!]) await verifier.verifyToken(t);
    expect(checks.count).toBe(3);
    await verifier.verifyToken(t3!);
    expect(checks.count).toBe(3);
    await verifier.verifyToken(t1!);
    expect(checks.count).toBe(4);
  });

  it("when the keys are local and no max age is given, then every token is checked", async () => {
    const { verifier, checks } = counting({});
    const token = await issuer.token("u-local");
    await verifier.verifyToken(token);
    await verifier.verifyToken(token);
    expect(checks.count).toBe(2);
  });
});
