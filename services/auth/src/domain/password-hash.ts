import { argon2, randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";

/**
 * Password hashes as PHC strings. New hashes are argon2id (Node's built-in `crypto.argon2`, run on
 * libuv's thread pool so the event loop keeps serving):
 * `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` (unpadded base64, 16-byte salt, 32-byte tag).
 * Hashes from before the switch (`$scrypt$ln=..,r=..,p=..$..$..`) still verify; `needsRehash`
 * tells the login to replace them. The parameters live in each string, so older costs verify too.
 */
const SALT_BYTES = 16;
const TAG_BYTES = 32;
const ARGON2_VERSION = 19;
const ARGON2 =
  /^\$argon2id\$v=(\d{1,3})\$m=(\d{1,7}),t=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;
const SCRYPT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** The largest memory cost a stored hash may ask for: a corrupted row must not take gigabytes. */
export const MAX_ARGON2_MEMORY_KIB = 262_144;

export interface Argon2Params {
  /** Memory in KiB. */
  memory: number;
  /** Passes over the memory (t). */
  passes: number;
  /** Lanes (p). */
  parallelism: number;
}

/** OWASP's argon2id recommendation (Password Storage Cheat Sheet): 19 MiB, 2 passes, 1 lane. */
export const OWASP_ARGON2ID: Argon2Params = { memory: 19_456, passes: 2, parallelism: 1 };

type Parsed =
  | ({ kind: "argon2id"; salt: Buffer; hash: Buffer } & Argon2Params)
  | { kind: "scrypt"; ln: number; r: number; p: number; salt: Buffer; hash: Buffer };

function argon2id(password: string, salt: Buffer, params: Argon2Params, tagLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    argon2(
      "argon2id",
      { message: password.normalize("NFC"), nonce: salt, tagLength, ...params },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
}

function scryptKey(password: string, salt: Buffer, ln: number, r: number, p: number, keyLength: number) {
  // scrypt needs 128 * N * r bytes; twice that leaves headroom.
  const options: ScryptOptions = { N: 2 ** ln, r, p, maxmem: Math.max(32 * 1024 * 1024, 256 * 2 ** ln * r) };
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password.normalize("NFC"), salt, keyLength, options, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

const b64 = (buf: Buffer) => buf.toString("base64").replace(/=+$/, "");

function parse(phc: string): Parsed | undefined {
  const a = ARGON2.exec(phc);
  if (a) {
    const [version, memory, passes, parallelism] = [Number(a[1]), Number(a[2]), Number(a[3]), Number(a[4])];
    // Bounds keep a corrupted row from asking for gigabytes or minutes.
    if (version !== ARGON2_VERSION || parallelism < 1 || parallelism > 16) return undefined;
    if (memory < 8 * parallelism || memory > MAX_ARGON2_MEMORY_KIB || passes < 1 || passes > 10)
      return undefined;
    const salt = Buffer.from(a[5]!, "base64");
    const hash = Buffer.from(a[6]!, "base64");
    if (salt.length < 8 || hash.length < 16) return undefined;
    return { kind: "argon2id", memory, passes, parallelism, salt, hash };
  }
  const s = SCRYPT.exec(phc);
  if (s) {
    const [ln, r, p] = [Number(s[1]), Number(s[2]), Number(s[3])];
    if (ln < 1 || ln > 20 || r < 1 || r > 32 || p < 1 || p > 16) return undefined;
    const hash = Buffer.from(s[5]!, "base64");
    if (hash.length < 16) return undefined;
    return { kind: "scrypt", ln, r, p, salt: Buffer.from(s[4]!, "base64"), hash };
  }
  return undefined;
}

export function createPasswordHasher(opts: Argon2Params = OWASP_ARGON2ID) {
  const current: Argon2Params = { memory: opts.memory, passes: opts.passes, parallelism: opts.parallelism };
  let dummy: Promise<string> | undefined;

  async function hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await argon2id(password, salt, current, TAG_BYTES);
    const { memory: m, passes: t, parallelism: p } = current;
    return `$argon2id$v=${ARGON2_VERSION}$m=${m},t=${t},p=${p}$${b64(salt)}$${b64(key)}`;
  }

  async function verify(password: string, phc: string): Promise<boolean> {
    const parsed = parse(phc);
    if (!parsed) return false;
    const key =
      parsed.kind === "argon2id"
        ? await argon2id(password, parsed.salt, parsed, parsed.hash.length)
        : await scryptKey(password, parsed.salt, parsed.ln, parsed.r, parsed.p, parsed.hash.length);
    return timingSafeEqual(key, parsed.hash);
  }

  return {
    hash,
    verify,
    /** Makes the dummy hash now (at start), so the first unknown-email login is not slower than the rest. */
    async prepare(): Promise<void> {
      dummy ??= hash(randomBytes(16).toString("hex"));
      await dummy;
    },
    /** Spends the same time as verifying a real hash, for logins of unknown emails. */
    async verifyDummy(password: string): Promise<false> {
      dummy ??= hash(randomBytes(16).toString("hex"));
      await verify(password, await dummy);
      return false;
    },
    /** True when a stored hash is not argon2id with the current parameters (e.g. an old scrypt one). */
    needsRehash(phc: string): boolean {
      const parsed = parse(phc);
      return (
        parsed?.kind !== "argon2id" ||
        parsed.memory !== current.memory ||
        parsed.passes !== current.passes ||
        parsed.parallelism !== current.parallelism ||
        parsed.hash.length !== TAG_BYTES
      );
    },
  };
}

export type PasswordHasher = ReturnType<typeof createPasswordHasher>;
