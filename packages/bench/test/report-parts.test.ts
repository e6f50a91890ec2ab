import { describe, expect, it } from "vitest";
import { runOpenLoop } from "../src/load/open-loop.js";
import { type CpuProfile, ownerOf, summariseProfile } from "../src/profile/summarise.js";
import {
  cpuBetween,
  cpuShares,
  parseProcStat,
  stackGrouping,
  startCpuUsage,
} from "../src/report/cpu-usage.js";
import { cpuWindowsTable } from "../src/report/markdown.js";
import type { MeasuredRun } from "../src/report/report.js";
import { lineChart, niceCeil } from "../src/report/svg-chart.js";

describe("open loop", () => {
  it("when requests never answer, then it keeps the schedule and drops what exceeds the outstanding cap", async () => {
    const result = await runOpenLoop({
      rate: 200,
      durationMs: 250,
      maxOutstanding: 10,
      fire: () => new Promise<void>(() => {}),
    });
    expect(result.due).toBe(50);
    expect(result.sent).toBe(10);
    expect(result.dropped).toBe(40);
  });

  it("when requests answer at once, then every due request is sent on schedule", async () => {
    const times: number[] = [];
    const result = await runOpenLoop({
      rate: 100,
      durationMs: 300,
      maxOutstanding: 5,
      fire: async (scheduledAt) => {
        times.push(scheduledAt);
      },
    });
    expect(result.sent).toBe(30);
    expect(result.dropped).toBe(0);
    expect(times[1]! - times[0]!).toBeCloseTo(10, 5);
  });
});

describe("cpuprofile summary", () => {
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 } },
      { id: 2, callFrame: { functionName: "(idle)", url: "", lineNumber: -1 } },
      {
        id: 3,
        callFrame: {
          functionName: "parse",
          url: "file:///r/node_modules/.pnpm/@grpc+grpc-js@1.0.0/node_modules/@grpc/grpc-js/build/x.js",
          lineNumber: 9,
        },
      },
      {
        id: 4,
        callFrame: { functionName: "handle", url: "file:///r/services/order/dist/a.js", lineNumber: 0 },
      },
    ],
    startTime: 0,
    endTime: 10_000,
    samples: [2, 3, 3, 4, 2],
    timeDeltas: [0, 4_000, 1_000, 1_000, 2_000],
  };

  it("when summarised, then idle time is left out and self time goes to the sampled function", () => {
    const s = summariseProfile(profile);
    expect(s.idleMs).toBe(6);
    expect(s.topFunctions[0]).toMatchObject({ name: "parse", ms: 2 });
    expect(s.byOwner.map((o) => o.name)).toEqual(["@grpc/grpc-js", "service order"]);
  });

  it("when a script path is given, then its owner is the package, workspace package or node", () => {
    expect(ownerOf("file:///r/node_modules/.pnpm/kafkajs@2.2.4/node_modules/kafkajs/src/x.js")).toBe(
      "kafkajs",
    );
    expect(ownerOf("file:///r/packages/consumer/dist/consumer.js")).toBe("@shop/consumer");
    expect(ownerOf("node:internal/streams/x")).toBe("node:internal");
    expect(ownerOf("", "(garbage collector)")).toBe("(garbage collector)");
  });
});

describe("svg chart", () => {
  it("when axes are scaled, then the maximum rounds up to a round number", () => {
    expect(niceCeil(982)).toBe(1000);
    expect(niceCeil(1030)).toBe(1200);
    expect(niceCeil(0)).toBe(1);
  });

  it("when series have gaps, then the chart breaks the line and escapes the text", () => {
    const svg = lineChart({
      title: "a < b",
      xLabel: "x",
      yLabel: "y",
      series: [
        {
          name: "p99",
          color: "red",
          points: [
            [0, 1],
            [1, Number.NaN],
            [2, 3],
          ],
        },
      ],
    });
    expect(svg).toContain("a &lt; b");
    expect(svg.match(/M/g)?.length).toBeGreaterThanOrEqual(2);
    expect(svg.trim().endsWith("</svg>")).toBe(true);
  });
});

describe("profile costs", () => {
  const summary = (busyMs: number) => ({
    wallMs: 10_000,
    busyMs,
    idleMs: 10_000 - busyMs,
    gcMs: 0,
    topFunctions: [],
    byOwner: [],
  });
  const run = {
    rate: 40,
    seconds: 10,
    services: { order: summary(8_000), product: summary(6_000) },
    readPath: {},
    readSeconds: 4,
  };

  it("when the kernel's count of the profiled step is there, then the cost per saga is the kernel's, not the profilers' busy time", async () => {
    const { profileCostParagraph } = await import("../src/report/markdown.js");
    const text = profileCostParagraph({ ...run, sagas: 400, kernelCpuSeconds: { order: 3, product: 2 } }, 2);
    expect(text).toContain("**12.5 ms of service CPU per saga**");
    expect(text).toContain("at most about 160 sagas/s");
    expect(text).toContain("busy 14.0 s to the profilers");
  });

  it("when an older report has no kernel count, then the profilers' busy time is the cost, over rate times seconds", async () => {
    const { profileCostParagraph } = await import("../src/report/markdown.js");
    expect(profileCostParagraph(run, 2)).toContain("**35 ms of service CPU per saga**");
  });
});

describe("memory metrics", () => {
  it("when a Prometheus text has the default Node metrics, then heap and RSS come out in MB", async () => {
    const { parseMemoryMetrics } = await import("../src/report/memory-breakdown.js");
    const m = parseMemoryMetrics(
      [
        "# HELP process_resident_memory_bytes Resident memory size in bytes.",
        "process_resident_memory_bytes 157286400",
        'nodejs_heap_size_used_bytes{service="x"} 52428800',
        "nodejs_heap_size_total_bytes 62914560",
        "nodejs_external_memory_bytes 1.048576e+7",
      ].join("\n"),
    );
    expect(m).toEqual({ rssMb: 150, heapUsedMb: 50, heapTotalMb: 60, externalMb: 10 });
  });

  it("when two readings of the relays' round metrics are compared, then each relay's rounds, events per round and round time come out; a service without a relay is left out", async () => {
    const { parseRelayRoundTotals, relayRoundsBetween } = await import("../src/report/relay-rounds.js");
    const text = (rounds: number, events: number, seconds: number, empty: number) =>
      [
        "# TYPE outbox_round_events histogram",
        `outbox_round_events_bucket{le="0",service="order"} ${empty}`,
        `outbox_round_events_bucket{le="1",service="order"} ${empty + 1}`,
        `outbox_round_events_sum{service="order"} ${events}`,
        `outbox_round_events_count{service="order"} ${rounds}`,
        `outbox_round_duration_seconds_sum{service="order"} ${seconds}`,
        `outbox_round_duration_seconds_count{service="order"} ${rounds}`,
      ].join("\n");
    const before = { order: parseRelayRoundTotals(text(100, 150, 0.5, 10))! };
    expect(before.order).toEqual({ rounds: 100, events: 150, seconds: 0.5, empty: 10 });
    expect(parseRelayRoundTotals("process_resident_memory_bytes 1")).toBeUndefined();
    const after = { order: parseRelayRoundTotals(text(300, 950, 2.5, 30))! };
    const rounds = relayRoundsBetween(before, after, 10);
    expect(Object.keys(rounds)).toEqual(["order"]);
    expect(rounds.order!.roundsPerSecond).toBeCloseTo(20);
    expect(rounds.order!.eventsPerRound).toBeCloseTo(4);
    expect(rounds.order!.meanRoundMs).toBeCloseTo(10);
    expect(rounds.order!.emptyShare).toBeCloseTo(0.1);
    expect(relayRoundsBetween(after, after, 10)).toEqual({});
  });

  it("when two readings of the events' histograms are compared, then each stretch's rate, mean and p99 bucket come out", async () => {
    const { hopTimesBetween, hopWhat, parseHopTotals } = await import("../src/report/hop-times.js");
    const { metricSamples } = await import("../src/report/service-metrics.js");
    // Cumulative buckets (0.01, 0.05, +Inf), sum in seconds, count.
    const histogram = (name: string, labels: string, buckets: number[], sum: number) => [
      `${name}_bucket{${labels}le="0.01"} ${buckets[0]}`,
      `${name}_bucket{${labels}le="0.05"} ${buckets[1]}`,
      `${name}_bucket{${labels}le="+Inf"} ${buckets[2]}`,
      `${name}_sum{${labels.replace(/,$/, "")}} ${sum}`,
      `${name}_count{${labels.replace(/,$/, "")}} ${buckets[2]}`,
    ];
    const text = (n: number) =>
      [
        "# TYPE outbox_publish_latency_seconds histogram",
        ...histogram("outbox_publish_latency_seconds", "", [10 * n, 20 * n, 20 * n], 0.4 * n),
        ...histogram(
          "kafka_consumer_delivery_seconds",
          'group="payment",topic="shop.inventory.v1",',
          [5 * n, 10 * n, 10 * n],
          0.05 * n,
        ),
        ...histogram(
          "kafka_consumer_handler_seconds",
          'group="payment",event_type="InventoryReserved",',
          [0, 9 * n, 10 * n],
          0.3 * n,
        ),
        `kafka_consumer_messages_total{group="payment"} ${n}`,
      ].join("\n");
    expect(metricSamples(text(1), "kafka_consumer_delivery_seconds_count")).toEqual([
      { labels: { group: "payment", topic: "shop.inventory.v1" }, value: 10 },
    ]);
    const before = parseHopTotals("payment", text(1));
    expect(before.map((h) => [h.stage, hopWhat(h)])).toEqual([
      ["outbox", "every event it publishes"],
      ["delivery", "payment from shop.inventory.v1"],
      ["handler", "payment: InventoryReserved"],
    ]);
    const hops = hopTimesBetween(before, parseHopTotals("payment", text(3)), 10);
    expect(hops.map((h) => [h.stage, h.perSecond, Math.round(h.meanMs), h.p99AtMostMs])).toEqual([
      // 40 events in 10 s, 0.8 s in all: 20 ms each, all within 50 ms.
      ["outbox", 4, 20, 50],
      ["delivery", 2, 5, 50],
      // 20 events, 2 of them past 50 ms: the 99th percentile is in the last bucket.
      ["handler", 2, 30, Number.POSITIVE_INFINITY],
    ]);
    expect(hopTimesBetween(before, before, 10)).toEqual([]);
  });

  it("when every stretch of the saga's way to PAID was measured, then they add up in its order; with one missing, there is no sum", async () => {
    const { pathToPaid } = await import("../src/report/hop-times.js");
    const hop = (
      stage: "outbox" | "delivery" | "handler",
      service: string,
      meanMs: number,
      topic?: string,
    ) => ({
      stage,
      service,
      ...(topic ? { group: service, topic: `t1.${topic}` } : {}),
      perSecond: 25,
      meanMs,
      p99AtMostMs: 100,
    });
    const hops = [
      hop("outbox", "order", 19),
      hop("outbox", "product", 16),
      hop("outbox", "payment", 14),
      hop("delivery", "product", 3, "shop.orders.v1"),
      hop("delivery", "payment", 2, "shop.inventory.v1"),
      hop("delivery", "order", 4, "shop.payments.v1"),
      // Off the way: the order's InventoryReserved, a lingering consumer, a handler.
      hop("delivery", "order", 500, "shop.inventory.v1"),
      hop("delivery", "notification", 900, "shop.orders.v1"),
      hop("handler", "product", 700),
    ];
    const path = pathToPaid(hops)!;
    expect(path.parts.map((p) => [p.label, p.meanMs])).toEqual([
      ["order: OrderCreated out", 19],
      ["to product", 3],
      ["product: InventoryReserved out", 16],
      ["to payment", 2],
      ["payment: PaymentProcessed out", 14],
      ["to order", 4],
      ["order: OrderPaid out", 19],
    ]);
    expect(path.totalMs).toBe(77);
    expect(pathToPaid(hops.filter((h) => h.service !== "payment"))).toBeUndefined();
  });

  it("when the gateway's metrics are read, then its near-cache counts come out by result; without them, nothing", async () => {
    const { parseNearCacheCounts } = await import("../src/baselines/read-path.js");
    const text = [
      "# TYPE gateway_product_cache_requests_total counter",
      'gateway_product_cache_requests_total{result="hit",service="gateway"} 1200',
      'gateway_product_cache_requests_total{result="miss",service="gateway"} 3',
      'gateway_product_cache_requests_total{result="bypass",service="gateway"} 0',
    ].join("\n");
    expect(parseNearCacheCounts(text)).toEqual({ hit: 1200, miss: 3, bypass: 0 });
    expect(parseNearCacheCounts("process_resident_memory_bytes 1")).toBeUndefined();
  });

  it("when read-path rounds disagree, then the median round decides, the lower middle one of an even count", async () => {
    const { medianRound } = await import("../src/baselines/read-path.js");
    const round = (ratio: number) => ({ bare: 1000, gateway: ratio * 1000, ratio });
    expect(medianRound([round(0.42), round(0.24), round(0.45)]).ratio).toBe(0.42);
    expect(medianRound([round(0.5), round(0.3), round(0.4), round(0.2)]).ratio).toBe(0.3);
    expect(medianRound([round(0.37)]).ratio).toBe(0.37);
    expect(() => medianRound([])).toThrow();
  });

  it("when a process's status is read, then its RSS and the mapped files' part of it come out in MB", async () => {
    const { parseRss, startRssSampler } = await import("../src/report/rss-sampler.js");
    const status = [
      "Name:\tnode",
      "VmRSS:\t  153600 kB",
      "RssAnon:\t  102400 kB",
      "RssFile:\t   51200 kB",
    ].join("\n");
    expect(parseRss(status)).toEqual({ rssMb: 150, fileMb: 50 });
    expect(parseRss("Name:\tgone")).toBeUndefined();
    // This process, sampled for real: the node binary is mapped, so its file part is above zero.
    const summary = startRssSampler({ self: process.pid }).stop().self!;
    expect(summary.maxMb).toBeGreaterThan(summary.fileMbAtMax!);
    expect(summary.fileMbAtMax).toBeGreaterThan(0);
  });
});

describe("CPU as the kernel counts it", () => {
  it("when a process name holds spaces and parentheses, then its times are still read from the right fields", () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
    const stat = parseProcStat(7, "7 (a) b (c)) S 1 7 7 0 -1 4194560 10 0 0 0 250 50 1200 300 20 0 1 0");
    expect(stat).toEqual({
      pid: 7,
      comm: "a) b (c)",
      cpuSeconds: 3,
      systemSeconds: 0.5,
      reapedSeconds: 15,
      reapedSystemSeconds: 3,
    });
  });

  it("when a backend ends within the window, then its time there counts through its parent, without what it ran before", () => {
    const proc = (pid: number, cpuSeconds: number, reapedSeconds = 0) => ({
      pid,
      comm: "postgres",
      cpuSeconds,
      systemSeconds: cpuSeconds / 2,
      reapedSeconds,
      reapedSystemSeconds: reapedSeconds / 2,
      group: "PostgreSQL",
    });
    const machine = (busy: number) => ({ busy, steal: 1, idle: 0 });
    const before = {
      machine: machine(10),
      procs: new Map([proc(1, 5, 20), proc(2, 3)].map((p) => [p.pid, p])),
    };
    // Backend 2 ran 1 s more and ended (reaped: 4 s in all); backend 3 started and ran 2 s.
    const after = {
      machine: machine(16),
      procs: new Map([proc(1, 6, 24), proc(3, 2)].map((p) => [p.pid, p])),
    };
    const cpu = cpuBetween(before, after, 2);
    expect(cpu.groups).toEqual({ PostgreSQL: { seconds: 1 + 2 + 1, systemSeconds: 2 } });
    const shares = cpuShares(cpu, 4);
    expect(shares.map((s) => [s.group, s.seconds, s.cores, s.msPerSaga])).toEqual([
      ["PostgreSQL", 4, 2, 1000],
      ["the rest of the machine", 2, 1, 500],
      ["steal (the hypervisor ran other guests)", 0, 0, 0],
    ]);
  });

  it("when processes outside the stack ran, then the busy ones are named and the others fold into the rest", () => {
    const g = (seconds: number) => ({ seconds, systemSeconds: 0 });
    const cpu = {
      wallSeconds: 100,
      groups: { order: g(20), "other: backup": g(5), "other: cron": g(0.5) },
      machine: { busy: 30, steal: 2, idle: 168 },
    };
    expect(cpuShares(cpu, 10).map((x) => [x.group, x.seconds])).toEqual([
      ["order", 20],
      ["other: backup", 5],
      ["the rest of the machine", 5],
      ["steal (the hypervisor ran other guests)", 2],
    ]);
  });

  it("when this process burns CPU in the window, then it is counted as the bench's, within the wall time", () => {
    const usage = startCpuUsage(stackGrouping({}));
    const until = process.cpuUsage().user + 200_000;
    let x = 0;
    while (process.cpuUsage().user < until) x += Math.sqrt(x + 1);
    const cpu = usage.stop();
    const bench = cpu.groups["bench (load generator and its consumer)"]!.seconds;
    expect(x).toBeGreaterThan(0);
    expect(bench).toBeGreaterThanOrEqual(0.15);
    expect(bench).toBeLessThanOrEqual(cpu.wallSeconds * 2 + 0.02);
    expect(cpu.machine.busy).toBeGreaterThanOrEqual(bench - 0.02);
  });

  it("when the count is cut into windows, then they follow each other and add up to the whole", async () => {
    const bench = "bench (load generator and its consumer)";
    const usage = startCpuUsage(stackGrouping({}), 40);
    // Busy in slices, so the window timer gets its turns.
    const until = process.cpuUsage().user + 250_000;
    let x = 0;
    while (process.cpuUsage().user < until) {
      const slice = performance.now() + 5;
      while (performance.now() < slice) x += Math.sqrt(x + 1);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const cpu = usage.stop();
    const windows = cpu.windows!;
    expect(x).toBeGreaterThan(0);
    expect(windows.length).toBeGreaterThanOrEqual(3);
    expect(windows[0]!.at).toBe(0);
    for (let i = 1; i < windows.length; i++) {
      expect(windows[i]!.at).toBeCloseTo(windows[i - 1]!.at + windows[i - 1]!.seconds, 2);
    }
    // A tail shorter than a quarter window joins the window before it.
    for (const w of windows) expect(w.seconds).toBeGreaterThanOrEqual(0.01);
    const last = windows.at(-1)!;
    expect(last.at + last.seconds).toBeCloseTo(cpu.wallSeconds, 2);
    const inWindows = windows.reduce((sum, w) => sum + (w.cores[bench] ?? 0) * w.seconds, 0);
    expect(inWindows).toBeCloseTo(cpu.groups[bench]!.seconds, 1);
    expect(Math.max(...windows.map((w) => w.cores[bench] ?? 0))).toBeGreaterThan(0.3);
  });

  it("when a run has CPU windows, then each row pairs them with the saga's seconds and names the busy parts", () => {
    const second = (s: number, completed: number, p99: number | null) =>
      ({ second: s, sent: 10, completed, p50: 0, p95: 0, p99 }) as MeasuredRun["timeline"][number];
    const run = {
      timeline: [second(0, 10, 80), second(1, 10, null), second(2, 30, 400), second(3, 0, null)],
      cpu: {
        wallSeconds: 4,
        groups: {},
        machine: { busy: 6, steal: 0, idle: 2 },
        windows: [
          {
            at: 0,
            seconds: 2,
            cores: { PostgreSQL: 0.5, "bench (load generator and its consumer)": 0.2, Redis: 0.01 },
            machineCores: 1.5,
            stealCores: 0,
          },
          { at: 2, seconds: 2, cores: { PostgreSQL: 0.75 }, machineCores: 1.5, stealCores: 0.1 },
        ],
      },
    } as unknown as MeasuredRun;
    const lines = cpuWindowsTable(run).split("\n");
    expect(lines[0]).toBe(
      "| seconds | completed/s | worst second's p99 ms | machine cores | machine ms per saga | PostgreSQL | bench | steal |",
    );
    // 20 sagas in 0-2 s for 3 core-seconds; the second without completions has no p99.
    expect(lines[2]).toBe("| 0-2 | 10.0 | 80 | 1.50 | 150.0 | 0.50 | 0.20 | 0.00 |");
    expect(lines[3]).toBe("| 2-4 | 15.0 | 400 | 1.50 | 100.0 | 0.75 | 0.00 | 0.10 |");
    expect(cpuWindowsTable({ ...run, cpu: { ...run.cpu!, windows: undefined } })).toBe("");
  });
});
