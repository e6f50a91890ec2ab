import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from "node:crypto";

/**
 * scrypt password hashes as PHC strings: `$scrypt$ln=17,r=8,p=1$<salt>$<hash>` (unpadded base64).
 * Hashing runs on libuv's thread pool (the async `scrypt`), so the event loop keeps serving.
 * The parameters live in each string, so hashes made with an older cost still verify.
 */
const R = 8;
const P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

interface Params {
  ln: number;
  r: number;
  p: number;
}

function derive(password: string, salt: Buffer, params: Params, keyLength: number): Promise<Buffer> {
  // scrypt needs 128 * N * r bytes; twice that leaves headroom (256 MiB at N = 2^17).
  const options: ScryptOptions = {
    N: 2 ** params.ln,
    r: params.r,
    p: params.p,
    maxmem: Math.max(32 * 1024 * 1024, 256 * 2 ** params.ln * params.r),
  };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFC"), salt, keyLength, options, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

const b64 = (buf: Buffer) => buf.toString("base64").replace(/=+$/, "");

function parse(phc: string): (Params & { salt: Buffer; hash: Buffer }) | undefined {
  const m = PHC.exec(phc);
  if (!m) return undefined;
  const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Bounds keep a corrupted row from asking for gigabytes of memory.
  if (ln < 1 || ln > 20 || r < 1 || r > 32 || p < 1 || p > 16) return undefined;
  return { ln, r, p, salt: Buffer.from(m[4]!, "base64"), hash: Buffer.from(m[5]!, "base64") };
}

export function createPasswordHasher(opts: { costLog2: number }) {
  const current: Params = { ln: opts.costLog2, r: R, p: P };
  let dummy: Promise<string> | undefined;

  async function hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await derive(password, salt, current, KEY_BYTES);
    return `$scrypt$ln=${current.ln},r=${current.r},p=${current.p}$${b64(salt)}$${b64(key)}`;
  }

  async function verify(password: string, phc: string): Promise<boolean> {
    const parsed = parse(phc);
    if (!parsed || parsed.hash.length < 16) return false;
    const key = await derive(password, parsed.salt, parsed, parsed.hash.length);
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
    /** True when a stored hash was made with other parameters than the current ones. */
    needsRehash(phc: string): boolean {
      const parsed = parse(phc);
      return !parsed || parsed.ln !== current.ln || parsed.r !== current.r || parsed.p !== current.p;
    },
  };
}

export type PasswordHasher = ReturnType<typeof createPasswordHasher>;
