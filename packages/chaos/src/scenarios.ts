import {
  brokerOutage,
  freezeServices,
  killRandomServices,
  killRelayMidBatch,
  noFault,
  redisOutage,
  terminateDbConnections,
} from "./faults.js";
import type { Check } from "./invariants.js";
import { waitForQuiet } from "./quiet.js";
import { diffSnapshots, replayAllSagaTopics, snapshotState } from "./replay.js";
import type { Rig } from "./rig.js";
import type { Scenario } from "./run-scenario.js";

/** Replays every saga topic from offset 0 and checks that no row of the saga's state changed. */
export async function replayChangesNothing(rig: Rig): Promise<Check[]> {
  const before = await snapshotState(rig.observer);
  const copied = await replayAllSagaTopics(rig.observer);
  const quiet = await waitForQuiet(rig.observer, 120_000);
  const diffs = diffSnapshots(before, await snapshotState(rig.observer));
  return [
    {
      name: "replaying every saga topic from offset 0 changes nothing",
      ok: quiet.converged && diffs.length === 0 && copied > 0,
      detail: !quiet.converged
        ? `replay of ${copied} messages not consumed: ${quiet.open.join("; ")}`
        : diffs.length > 0
          ? diffs.join("; ")
          : `${copied} messages replayed, consumed in ${(quiet.ms / 1000).toFixed(1)} s, state unchanged`,
    },
  ];
}

export const SCENARIOS: Scenario[] = [
  {
    name: "kill-9",
    title: "kill -9 of a random service (order, product, payment, notification, gateway) every few seconds",
    inject: killRandomServices(["order", "product", "payment", "notification", "gateway"], [3_000, 8_000]),
  },
  {
    name: "broker-outage",
    title: "the Kafka broker stopped for 20 s, then started again",
    rig: { ownBroker: true },
    inject: brokerOutage(10_000, 20_000),
  },
  {
    name: "pg-terminate",
    title: "every PostgreSQL connection of the stack terminated every 1-4 s",
    inject: terminateDbConnections([1_000, 4_000]),
  },
  {
    name: "freeze",
    title:
      "payment, then product, frozen (SIGSTOP) for 20 s, twice the consumers' 10 s Kafka session timeout",
    inject: freezeServices(["payment", "product"], 5_000, 20_000),
  },
  {
    name: "relay-kill",
    title: "the order service killed while its outbox relay has rows in hand",
    inject: killRelayMidBatch(6, [10_000, 15_000]),
  },
  {
    name: "replay",
    title: "every saga topic replayed from offset 0 after the load",
    inject: noFault,
    afterQuiet: replayChangesNothing,
  },
  {
    name: "redis-outage",
    title: "Redis stopped for 20 s mid-load, then started again (empty)",
    rig: { ownRedis: true },
    inject: redisOutage(5_000, 20_000),
  },
];
