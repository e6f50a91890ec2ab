import { randomBytes } from "node:crypto";
import { ConfigError } from "@shop/platform";
import { describe, expect, it } from "vitest";
import { createOneTimeTokenSeal, decodeOneTimeTokenKey } from "../src/one-time-token-seal.js";

const newKey = () => randomBytes(32).toString("base64url");
const claims = {
  token: randomBytes(32).toString("base64url"),
  purpose: "reset_password" as const,
  userId: "u-1",
  email: "ann@example.com",
  expiresAt: new Date(Date.now() + 3600_000),
};
const expected = { purpose: claims.purpose, userId: claims.userId, email: claims.email };

describe("one-time token seal", () => {
  it("when sealed, then the JWE does not show the token and opens to it with the same key", async () => {
    const seal = createOneTimeTokenSeal(newKey());
    const jwe = await seal.seal(claims);
    expect(jwe.split(".")).toHaveLength(5);
    expect(jwe).not.toContain(claims.token);
    expect(Buffer.from(jwe.split(".")[0]!, "base64url").toString()).toContain('"alg":"dir"');
    await expect(seal.open(jwe, expected)).resolves.toBe(claims.token);
  });

  it("when opened with another key, then it fails", async () => {
    const jwe = await createOneTimeTokenSeal(newKey()).seal(claims);
    await expect(createOneTimeTokenSeal(newKey()).open(jwe, expected)).rejects.toThrow();
  });

  it("when opened for another address, user or purpose, then it fails", async () => {
    const seal = createOneTimeTokenSeal(newKey());
    const jwe = await seal.seal(claims);
    await expect(seal.open(jwe, { ...expected, email: "mallory@example.com" })).rejects.toThrow();
    await expect(seal.open(jwe, { ...expected, userId: "u-2" })).rejects.toThrow();
    await expect(seal.open(jwe, { ...expected, purpose: "verify_email" })).rejects.toThrow();
  });

  it("when the token has expired, then it does not open", async () => {
    const seal = createOneTimeTokenSeal(newKey());
    const jwe = await seal.seal({ ...claims, expiresAt: new Date(Date.now() - 1000) });
    await expect(seal.open(jwe, expected)).rejects.toThrow();
  });

  it("when the key is not 32 bytes of base64, then a ConfigError names the variable and not the value", () => {
    for (const bad of ["short", "x".repeat(43).replace(/x$/, "!"), randomBytes(16).toString("base64url")]) {
      let err: unknown;
      try {
        decodeOneTimeTokenKey(bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain("ONE_TIME_TOKEN_KEY");
      expect((err as Error).message).not.toContain(bad);
    }
    expect(decodeOneTimeTokenKey(randomBytes(32).toString("base64"))).toHaveLength(32);
  });
});
