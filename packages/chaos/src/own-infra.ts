import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePortPair, portFree } from "@shop/testkit";
import { sleep } from "./random.js";

const run = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const KAFKA_SH = `${REPO_ROOT}deploy/local/kafka.sh`;

/**
 * A Kafka broker of the scenario's own (deploy/local/kafka.sh in a temporary RUN_DIR), so it can
 * be stopped without disturbing anyone else's tests on the shared broker.
 */
export async function startOwnBroker() {
  const port = await freePortPair();
  const runDir = mkdtempSync(join(tmpdir(), "chaos-kafka-"));
  // Reuse the jars the shared broker was started with, when there: saves a Maven fetch.
  const sharedLibs = `${REPO_ROOT}.run/kafka/libs`;
  if (existsSync(`${sharedLibs}/.kafka-version`))
    cpSync(sharedLibs, `${runDir}/kafka/libs`, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RUN_DIR: runDir,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(port + 1),
  };
  delete env.KAFKA_BROKERS;
  const broker = (cmd: "up" | "down") => run(KAFKA_SH, [cmd], { env, timeout: 180_000 });
  await broker("up");
  return {
    brokers: `127.0.0.1:${port}`,
    logFile: `${runDir}/logs/kafka.log`,
    up: () => broker("up"),
    down: () => broker("down"),
    async dispose() {
      await broker("down").catch(() => {});
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}

export type OwnBroker = Awaited<ReturnType<typeof startOwnBroker>>;

/** A Redis of the scenario's own, without persistence, so stopping it disturbs nobody. */
export async function startOwnRedis() {
  let port = 0;
  do port = 40_000 + Math.floor(Math.random() * 10_000);
  while (!(await portFree(port)));
  const dir = mkdtempSync(join(tmpdir(), "chaos-redis-"));
  const pidFile = `${dir}/redis.pid`;
  async function up() {
    await run("redis-server", [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "yes",
      "--dir",
      dir,
      "--pidfile",
      pidFile,
      "--logfile",
      `${dir}/redis.log`,
    ]);
    for (let i = 0; i < 100 && !(existsSync(pidFile) && !(await portFree(port))); i++) await sleep(50);
  }
  async function down() {
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      return;
    }
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await sleep(50);
    }
    process.kill(pid, "SIGKILL");
  }
  await up();
  return {
    url: `redis://127.0.0.1:${port}`,
    up,
    down,
    async dispose() {
      await down();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type OwnRedis = Awaited<ReturnType<typeof startOwnRedis>>;
