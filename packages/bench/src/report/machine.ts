import { readFileSync } from "node:fs";
import { cpus, loadavg, release, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import postgres from "postgres";

const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
    kernel: release(),
    loadAverage: loadavg().map((l) => +l.toFixed(2)),
  };
}

/** The Kafka version the local broker runs: `kafka.version` in deploy/local/kafka/pom.xml. */
export function kafkaVersion(): string {
  try {
    const pom = readFileSync(`${REPO_ROOT}deploy/local/kafka/pom.xml`, "utf8");
    return /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * Server version, the settings that bound commit throughput, and whether autovacuum runs (the
 * outbox, order and notification tables leave a dead row per update; with it off they stay until
 * the stack's databases are dropped).
 */
export async function postgresInfo(url: string): Promise<Record<string, string>> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const info: Record<string, string> = {};
    for (const name of [
      "server_version",
      "synchronous_commit",
      "fsync",
      "shared_buffers",
      "max_connections",
      "autovacuum",
    ]) {
      const [row] = await sql.unsafe(`show ${name}`);
      info[name] = String(Object.values(row ?? {})[0]);
    }
    return info;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
