import { metricValue } from "./service-metrics.js";

/**
 * A service's outbox relay rounds so far (its `outbox_round_*` histograms): how many rounds, the
 * events they carried, their time, and how many found nothing (the fallback polls).
 */
export interface RelayRoundTotals {
  rounds: number;
  events: number;
  seconds: number;
  empty: number;
}

/** A relay's rounds over a run: how well its rounds gathered the events. */
export interface RelayRounds {
  roundsPerSecond: number;
  eventsPerRound: number;
  meanRoundMs: number;
  /** Share of the rounds that published nothing. */
  emptyShare: number;
}

/** The relay's round totals from a service's /metrics text; undefined for a service without a relay. */
export function parseRelayRoundTotals(text: string): RelayRoundTotals | undefined {
  const rounds = metricValue(text, "outbox_round_events_count");
  if (rounds === undefined) return undefined;
  return {
    rounds,
    events: metricValue(text, "outbox_round_events_sum") ?? 0,
    seconds: metricValue(text, "outbox_round_duration_seconds_sum") ?? 0,
    empty: metricValue(text, "outbox_round_events_bucket", 'le="0"') ?? 0,
  };
}

/** Each relay's round totals from the services' /metrics texts by name; services without a relay are left out. */
export function relayRoundTotalsOf(texts: Record<string, string>): Record<string, RelayRoundTotals> {
  const out: Record<string, RelayRoundTotals> = {};
  for (const [name, text] of Object.entries(texts)) {
    const totals = parseRelayRoundTotals(text);
    if (totals) out[name] = totals;
  }
  return out;
}

/** Each relay's rounds between two readings `seconds` apart; relays without a round in between are left out. */
export function relayRoundsBetween(
  before: Record<string, RelayRoundTotals>,
  after: Record<string, RelayRoundTotals>,
  seconds: number,
): Record<string, RelayRounds> {
  const out: Record<string, RelayRounds> = {};
  for (const [name, b] of Object.entries(after)) {
    const a = before[name] ?? { rounds: 0, events: 0, seconds: 0, empty: 0 };
    const rounds = b.rounds - a.rounds;
    if (rounds <= 0 || seconds <= 0) continue;
    out[name] = {
      roundsPerSecond: rounds / seconds,
      eventsPerRound: (b.events - a.events) / rounds,
      meanRoundMs: ((b.seconds - a.seconds) / rounds) * 1000,
      emptyShare: (b.empty - a.empty) / rounds,
    };
  }
  return out;
}
