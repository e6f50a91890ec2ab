import { isIP } from "node:net";
import type { Setting } from "@shop/platform";

/**
 * Which proxies may set X-Forwarded-For: none (false) or the listed addresses and CIDR ranges.
 * Never "anyone": then any client picks its own address and with it a fresh rate-limit bucket per
 * request. Not a hop count either: Fastify 5.12 ignores numeric trustProxy (it cannot tell the
 * nearest proxy from a client that sends enough hops of its own), so a count would silently trust
 * nobody; it is refused with a message instead.
 */
export type TrustProxy = false | string[];

/** proxy-addr's names for reserved ranges (127.0.0.0/8 and ::1; 169.254.0.0/16 and fe80::/10; private). */
const RANGE_NAMES = new Set(["loopback", "linklocal", "uniquelocal"]);
const MATCH_ALL = new Set(["0.0.0.0/0", "::/0", "*"]);

function checkEntry(entry: string): void {
  if (RANGE_NAMES.has(entry)) return;
  if (MATCH_ALL.has(entry)) throw new Error(`must not trust every address (${entry})`);
  const [address = "", prefix, ...rest] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || rest.length > 0) throw new Error(`has "${entry}", which is not an IP address or CIDR`);
  if (prefix === undefined) return;
  const bits = Number(prefix);
  if (!/^\d{1,3}$/.test(prefix) || bits > (family === 4 ? 32 : 128)) {
    throw new Error(`has "${entry}", whose prefix length is out of range`);
  }
  if (bits === 0) throw new Error(`must not trust every address (${entry})`);
}

export function parseTrustProxy(raw: string): TrustProxy {
  const value = raw.trim();
  if (/^(true|yes|on)$/i.test(value)) {
    throw new Error(
      "must be a comma-separated list of proxy addresses/CIDRs; true would trust any client's X-Forwarded-For",
    );
  }
  if (/^(false|no|off)$/i.test(value)) return false;
  if (value === "0") return false;
  if (/^\d+$/.test(value)) {
    throw new Error(
      "must list the proxies' addresses/CIDRs, not a hop count (Fastify ignores hop counts: they cannot tell a proxy from a client)",
    );
  }
  const entries = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) return false;
  for (const entry of entries) checkEntry(entry);
  return entries;
}

export const trustProxySetting = (env: string, doc: string): Setting<TrustProxy> => ({
  env,
  doc,
  default: false,
  parse: parseTrustProxy,
});
