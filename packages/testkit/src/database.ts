import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import postgres from "postgres";

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const DBMATE = `${REPO_ROOT}node_modules/.bin/dbmate`;

/** Base server URL for tests; `TEST_PG_URL` overrides (e.g. postgres://postgres@127.0.0.1:5432). */
export function pgServerUrl(): string {
  return process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432";
}

/**
 * The Unix socket directory through which benchmarks reach the local PostgreSQL, saving the
 * loopback TCP stack on every round trip: BENCH_PG_SOCKET when set ("" for TCP), otherwise
 * /var/run/postgresql when its socket is there and TEST_PG_URL does not point elsewhere.
 */
export function benchSocketDir(): string | undefined {
  const fromEnv = process.env.BENCH_PG_SOCKET;
  if (fromEnv !== undefined) return fromEnv || undefined;
  const dir = "/var/run/postgresql";
  return process.env.TEST_PG_URL === undefined && existsSync(`${dir}/.s.PGSQL.5432`) ? dir : undefined;
}

/** `url` (one of createTestDatabase's) through the socket in `dir`: libpq and createSql read `host=`. */
export function throughSocket(url: string, dir: string | undefined): string {
  return dir ? `${url}${url.includes("?") ? "&" : "?"}host=${dir}` : url;
}

function dbUrl(name: string): string {
  return `${pgServerUrl()}/${name}?sslmode=disable`;
}

export interface TestDatabase {
  name: string;
  url: string;
  drop: () => Promise<void>;
}

/**
 * A fresh database for one test file, cloned from `shop_<service>_template`, which is migrated with
 * dbmate from `db/<service>/migrations` first. Each file gets its own rows, so tests never see
 * another file's data. An advisory lock serialises template migration and cloning across workers.
 */
export async function createTestDatabase(service: string): Promise<TestDatabase> {
  const template = `shop_${service}_template`;
  const name = `shop_${service}_t_${randomBytes(5).toString("hex")}`;
  const admin = postgres(dbUrl("postgres"), { max: 1, onnotice: () => {} });
  // max: 1 keeps the session lock and the statements on one connection.
  await admin`select pg_advisory_lock(hashtext(${template}))`;
  try {
    await run(DBMATE, [
      "--url",
      dbUrl(template),
      "--migrations-dir",
      `${REPO_ROOT}db/${service}/migrations`,
      "--no-dump-schema",
      "up",
    ]);
    await admin.unsafe(`create database "${name}" template "${template}"`);
  } finally {
    await admin`select pg_advisory_unlock(hashtext(${template}))`;
    await admin.end({ timeout: 5 });
  }
  return {
    name,
    url: dbUrl(name),
    drop: async () => {
      const a = postgres(dbUrl("postgres"), { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await a.end({ timeout: 5 });
      }
    },
  };
}
