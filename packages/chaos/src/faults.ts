import { pgServerUrl, type ServiceName, type Stack } from "@shop/testkit";
import postgres from "postgres";
import type { Observer } from "./observer.js";
import type { OwnBroker, OwnRedis } from "./own-infra.js";
import { type Random, sleep } from "./random.js";
import type { Supervisor } from "./supervisor.js";

export interface FaultRecord {
  /** Milliseconds since the scenario's load started. */
  atMs: number;
  kind: string;
  target: string;
  detail?: string;
}

export interface FaultContext {
  stack: Stack;
  observer: Observer;
  supervisor: Supervisor;
  random: Random;
  broker?: OwnBroker;
  redis?: OwnRedis;
  /** True while the load has not placed its orders yet: looping injectors go on while it holds. */
  loadRunning: () => boolean;
  record: (kind: string, target: string, detail?: string) => void;
}

export type Injector = (ctx: FaultContext) => Promise<void>;

/**
 * SIGKILL a service and start it again, as a supervisor would. A start that is not ready in time
 * leaves the process running (the gateway, for one, is not ready while a backend is down): that
 * is recorded, not retried, since a second process could not bind the same ports. A process that
 * died while starting is left to the supervisor, which records it as a crash.
 */
async function killAndRestart(ctx: FaultContext, name: ServiceName, detail?: string) {
  const service = ctx.stack.service(name);
  await ctx.supervisor.expectDown(name, async () => {
    await service.stop("SIGKILL");
    ctx.record("SIGKILL", name, detail);
    const started = Date.now();
    try {
      await service.start();
      ctx.record("restarted", name, `ready after ${Date.now() - started} ms`);
    } catch (err) {
      ctx.record(
        "restarted",
        name,
        `not ready after ${Date.now() - started} ms: ${(err as Error).message.split("\n")[0]}`,
      );
    }
  });
}

/**
 * kill -9 of a random service every few seconds, each restarted at once. A restart can take
 * a Kafka session timeout (the new member waits for the dead one to expire), so restarts run in
 * the background and the next kill picks among the services that are up, with at most `maxDown`
 * down at once.
 */
export function killRandomServices(targets: ServiceName[], everyMs: [number, number], maxDown = 2): Injector {
  return async (ctx) => {
    const restarting = new Map<ServiceName, Promise<void>>();
    try {
      while (ctx.loadRunning()) {
        await sleep(ctx.random.int(everyMs[0], everyMs[1]));
        const up = targets.filter((t) => !restarting.has(t));
        if (!ctx.loadRunning() || up.length === 0 || restarting.size >= maxDown) continue;
        const name = ctx.random.pick(up);
        restarting.set(
          name,
          killAndRestart(ctx, name)
            .catch((err) => ctx.record("restart failed", name, (err as Error).message.split("\n")[0]))
            .finally(() => restarting.delete(name)),
        );
      }
    } finally {
      await Promise.all(restarting.values());
    }
  };
}

/** The scenario's own broker stopped for `downMs`, then started again. */
export function brokerOutage(afterMs: number, downMs: number): Injector {
  return async (ctx) => {
    if (!ctx.broker) throw new Error("brokerOutage needs the scenario's own broker");
    await sleep(afterMs);
    await ctx.broker.down();
    ctx.record("broker stopped", ctx.broker.brokers);
    await sleep(downMs);
    await ctx.broker.up();
    ctx.record("broker started", ctx.broker.brokers);
  };
}

/** Terminates every connection to the stack's databases, again and again (the server stays up). */
export function terminateDbConnections(everyMs: [number, number]): Injector {
  return async (ctx) => {
    const names = (["auth", "product", "order", "payment", "notification"] as const).map((s) =>
      new URL(ctx.stack.databaseUrl(s)!).pathname.slice(1),
    );
    const admin = postgres(`${pgServerUrl()}/postgres`, { max: 1, onnotice: () => {} });
    try {
      while (ctx.loadRunning()) {
        await sleep(ctx.random.int(everyMs[0], everyMs[1]));
        const rows = await admin`
          select pg_terminate_backend(pid) as killed from pg_stat_activity
          where datname = any(${names}) and pid <> pg_backend_pid()`;
        ctx.record(
          "pg_terminate_backend",
          "all stack databases",
          `${rows.filter((r) => r.killed).length} connections`,
        );
      }
    } finally {
      await admin.end({ timeout: 5 });
    }
  };
}

/** SIGSTOP each target longer than its Kafka session timeout, then SIGCONT. */
export function freezeServices(targets: ServiceName[], afterMs: number, forMs: number): Injector {
  return async (ctx) => {
    await sleep(afterMs);
    for (const name of targets) {
      const pid = ctx.stack.service(name).pid();
      if (!pid) continue;
      process.kill(pid, "SIGSTOP");
      ctx.record("SIGSTOP", name, `for ${forMs} ms`);
      try {
        await sleep(forMs);
      } finally {
        process.kill(pid, "SIGCONT");
        ctx.record("SIGCONT", name);
      }
      await sleep(5_000);
    }
  };
}

/**
 * SIGKILL the order service while its outbox relay has rows in hand (pending rows seen just
 * before), so some are published but not yet marked: the restarted relay publishes them again.
 * The pause after each restart lets orders flow again (the gateway's circuit closes) first.
 */
export function killRelayMidBatch(times: number, pauseMs: [number, number]): Injector {
  return async (ctx) => {
    for (let i = 0; i < times && ctx.loadRunning(); i++) {
      await sleep(ctx.random.int(pauseMs[0], pauseMs[1]));
      let pending = 0;
      for (let tries = 0; tries < 500 && pending === 0; tries++) {
        const [row] = await ctx.observer.db("order")`
          select count(*)::int as n from outbox where published_at is null and parked_at is null`;
        pending = row!.n;
        if (pending === 0) await sleep(10);
      }
      await killAndRestart(ctx, "order", `${pending} outbox rows pending at the kill`);
    }
  };
}

/** The scenario's own Redis stopped for `downMs`, then started again (empty: no persistence). */
export function redisOutage(afterMs: number, downMs: number): Injector {
  return async (ctx) => {
    if (!ctx.redis) throw new Error("redisOutage needs the scenario's own Redis");
    await sleep(afterMs);
    await ctx.redis.down();
    ctx.record("redis stopped", ctx.redis.url);
    await sleep(downMs);
    await ctx.redis.up();
    ctx.record("redis started", ctx.redis.url);
  };
}

/** No fault during the load (the scenario's fault comes after it, e.g. a replay). */
export const noFault: Injector = async () => {};

/**
 * Restarts the PostgreSQL server itself (pg_ctlcluster). Only behind CHAOS_RESTART_POSTGRES=1:
 * the server is shared by every test and developer on the machine.
 */
export function restartPostgresServer(afterMs: number): Injector {
  return async (ctx) => {
    const { execFile } = await import("node:child_process");
    const { readdirSync } = await import("node:fs");
    const version = readdirSync("/etc/postgresql")[0];
    if (!version) throw new Error("no cluster under /etc/postgresql");
    await sleep(afterMs);
    ctx.record("postgres restart", `cluster ${version}/main`);
    await new Promise<void>((resolve, reject) =>
      execFile("pg_ctlcluster", ["--skip-systemctl-redirect", version, "main", "restart"], (err) =>
        err ? reject(err) : resolve(),
      ),
    );
    ctx.record("postgres restarted", `cluster ${version}/main`);
  };
}

/** kill -9 of each of `names`, `gapMs` apart, each restarted at once (restarts overlap). */
export function killServicesOnce(names: ServiceName[], afterMs: number, gapMs: number): Injector {
  return async (ctx) => {
    await sleep(afterMs);
    const restarts: Promise<void>[] = [];
    for (const [i, name] of names.entries()) {
      if (i > 0) await sleep(gapMs);
      restarts.push(killAndRestart(ctx, name));
    }
    await Promise.all(restarts);
  };
}
