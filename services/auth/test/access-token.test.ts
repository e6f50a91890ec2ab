import { createPublicKey } from "node:crypto";
import { createTestIssuer, TOKEN_AUDIENCE, TOKEN_ISSUER } from "@shop/identity";
import { exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getJwks } from "../src/domain/get-jwks.js";
import { rotateKeys } from "../src/domain/rotate-keys.js";
import { type AuthService, failure, startAuthService } from "./harness.js";

let svc: AuthService;
beforeAll(async () => {
  svc = await startAuthService();
});
afterAll(() => svc.stop());

const getMe = (token: string) => svc.client.GetMe({}, { authorization: `Bearer ${token}` });
const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** Claims of a well-formed token for `userId`, for tests that then break one thing. */
function claims(userId: string, overrides: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: userId,
    role: "customer",
    iss: TOKEN_ISSUER,
    aud: TOKEN_AUDIENCE,
    iat: now,
    exp: now + 300,
    ...overrides,
  };
}

/** Signs with the service's own current private key (what only the auth service can do). */
async function signWithOwnKey(payload: JWTPayload, kid?: string): Promise<string> {
  const { signing } = await svc.auth.keys.current();
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "EdDSA", kid: kid ?? signing.kid, typ: "JWT" })
    .sign(signing.privateKey);
}

describe("GetMe verifies the access token", () => {
  it("when the token is one the service issued, then the caller's account comes back", async () => {
    const { email, password, user } = await svc.newUser();
    const { accessToken } = await svc.client.Login({ email, password });
    expect(await getMe(accessToken)).toMatchObject({
      id: user.id,
      email,
      role: "customer",
      emailVerified: false,
    });
    // The test's own signing helper produces accepted tokens, so the rejections below are meaningful.
    expect((await getMe(await signWithOwnKey(claims(user.id)))).id).toBe(user.id);
  });

  it("when the authorization metadata is missing or not a bearer token, then UNAUTHENTICATED", async () => {
    expect((await failure(svc.client.GetMe({}))).kind).toBe("UNAUTHENTICATED");
    expect((await failure(svc.client.GetMe({}, { authorization: "Basic dXNlcjpwdw==" }))).kind).toBe(
      "UNAUTHENTICATED",
    );
  });

  it("when the token says alg none, then UNAUTHENTICATED", async () => {
    const { user } = await svc.newUser();
    const { signing } = await svc.auth.keys.current();
    const token = `${b64url({ alg: "none", typ: "JWT", kid: signing.kid })}.${b64url(claims(user.id))}.`;
    expect((await failure(getMe(token))).kind).toBe("UNAUTHENTICATED");
  });

  it("when the token is HS256 signed with the public key as the secret, then UNAUTHENTICATED", async () => {
    const { user } = await svc.newUser();
    const jwks = await getJwks(svc.auth);
    const jwk = jwks.keys[0]!;
    const pem = await exportSPKI(createPublicKey({ key: jwk as never, format: "jwk" }) as never);
    for (const secret of [
      Buffer.from(jwk.x!, "base64url"),
      Buffer.from(pem),
      Buffer.from(JSON.stringify(jwk)),
    ]) {
      const token = await new SignJWT(claims(user.id))
        .setProtectedHeader({ alg: "HS256", kid: jwk.kid!, typ: "JWT" })
        .sign(new Uint8Array(secret));
      expect((await failure(getMe(token))).kind).toBe("UNAUTHENTICATED");
    }
  });

  it("when the token is signed by a foreign key, under its own kid or under ours, then UNAUTHENTICATED", async () => {
    const { user } = await svc.newUser();
    const foreign = await createTestIssuer();
    expect((await failure(getMe(await foreign.token(user.id)))).kind).toBe("UNAUTHENTICATED");

    const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" });
    const { signing } = await svc.auth.keys.current();
    const forged = await new SignJWT(claims(user.id))
      .setProtectedHeader({ alg: "EdDSA", kid: signing.kid })
      .sign(privateKey);
    expect((await failure(getMe(forged))).kind).toBe("UNAUTHENTICATED");
  });

  it.each([
    ["a wrong audience", { aud: "someone-else" }],
    ["a wrong issuer", { iss: "https://evil.example" }],
    [
      "an expiry in the past",
      { iat: Math.floor(Date.now() / 1000) - 1000, exp: Math.floor(Date.now() / 1000) - 60 },
    ],
    ["no subject", { sub: undefined }],
    ["an unknown role", { role: "superuser" }],
  ])("when our own key signs a token with %s, then UNAUTHENTICATED", async (_case, overrides) => {
    const { user } = await svc.newUser();
    const token = await signWithOwnKey(claims(user.id, overrides as JWTPayload));
    expect((await failure(getMe(token))).kind).toBe("UNAUTHENTICATED");
  });

  it("when the signature of a valid token is altered, then UNAUTHENTICATED", async () => {
    const { email, password } = await svc.newUser();
    const { accessToken } = await svc.client.Login({ email, password });
    const [h, p, s] = accessToken.split(".");
    const flipped = `${s!.slice(0, 10)}${s![10] === "A" ? "B" : "A"}${s!.slice(11)}`;
    expect((await failure(getMe(`${h}.${p}.${flipped}`))).kind).toBe("UNAUTHENTICATED");
  });

  it("when the account behind a valid token no longer exists, then UNAUTHENTICATED", async () => {
    const { email, password, user } = await svc.newUser();
    const { accessToken } = await svc.client.Login({ email, password });
    await svc.sql`delete from users where id = ${user.id}`;
    expect((await failure(getMe(accessToken))).kind).toBe("UNAUTHENTICATED");
  });
});

describe("signing key rotation", () => {
  it("when keys rotate, then new tokens use the new kid and tokens of the previous key still verify", async () => {
    const { email, password, user } = await svc.newUser();
    const before = await svc.client.Login({ email, password });
    const oldKid = (await svc.auth.keys.current()).signing.kid;

    const rotation = await rotateKeys({ sql: svc.sql, repo: svc.auth.signingKeys, cipher: svc.auth.cipher });
    svc.auth.keys.invalidate();
    expect(rotation.retiring).toEqual([oldKid]);

    const after = await svc.client.Login({ email, password });
    expect(JSON.parse(Buffer.from(after.accessToken.split(".")[0]!, "base64url").toString()).kid).toBe(
      rotation.kid,
    );
    expect((await getMe(before.accessToken)).id).toBe(user.id);
    expect((await getMe(after.accessToken)).id).toBe(user.id);
    const jwks = JSON.parse((await svc.client.GetJwks({})).json) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid).sort()).toEqual([oldKid, rotation.kid].sort());
  });

  it("when a token names a kid the service does not have, or none at all, then UNAUTHENTICATED", async () => {
    const { user } = await svc.newUser();
    const token = await signWithOwnKey(claims(user.id), "00000000-0000-4000-8000-000000000000");
    expect((await failure(getMe(token))).kind).toBe("UNAUTHENTICATED");
    const { signing } = await svc.auth.keys.current();
    const noKid = await new SignJWT(claims(user.id))
      .setProtectedHeader({ alg: "EdDSA" })
      .sign(signing.privateKey);
    expect((await failure(getMe(noKid))).kind).toBe("UNAUTHENTICATED");
  });

  it("when a replaced key's retirement time has passed, then its tokens stop verifying and it leaves the JWKS", async () => {
    const { email, password } = await svc.newUser();
    const old = await svc.client.Login({ email, password });
    const oldKid = (await svc.auth.keys.current()).signing.kid;
    await rotateKeys({ sql: svc.sql, repo: svc.auth.signingKeys, cipher: svc.auth.cipher });
    svc.auth.keys.invalidate();
    await svc.sql`update signing_keys set retire_at = now() - interval '1 second' where kid = ${oldKid}`;
    expect((await failure(getMe(old.accessToken))).kind).toBe("UNAUTHENTICATED");
    const jwks = await getJwks(svc.auth);
    expect(jwks.keys.map((k) => k.kid)).not.toContain(oldKid);
  });
});
