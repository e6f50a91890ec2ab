import { randomUUID } from "node:crypto";
import { exportJWK, exportPKCS8, generateKeyPair, type JWK } from "jose";
import type { KeyCipher } from "./key-cipher.js";

export const SIGNING_ALGORITHM = "EdDSA";

export interface NewSigningKey {
  kid: string;
  algorithm: string;
  publicJwk: JWK;
  /** Sealed by the key cipher; never leaves the auth database. */
  sealedPrivateKey: string;
}

/** A fresh Ed25519 key pair: the public half as a JWK for the JWKS, the private half sealed. */
export async function generateSigningKey(cipher: KeyCipher): Promise<NewSigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALGORITHM, {
    crv: "Ed25519",
    extractable: true,
  });
  const kid = randomUUID();
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALGORITHM, use: "sig" };
  return {
    kid,
    algorithm: SIGNING_ALGORITHM,
    publicJwk,
    sealedPrivateKey: cipher.seal(kid, await exportPKCS8(privateKey)),
  };
}
