import { isIPv4, isIPv6 } from "node:net";

/** The bucket of callers that did not say where the client is: they share one set of limits. */
export const UNKNOWN_CLIENT = "unknown";

const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * The key login limits use for a client address (as the gateway saw it): an IPv4 address as
 * is, an IPv6 address by its /64 prefix (one subscriber usually holds a whole /64, so limits per
 * single IPv6 address would be void), anything else in one shared bucket.
 */
export function clientAddressKey(raw: string | undefined): string {
  const address = (raw ?? "").trim().replace(/%.*$/, "");
  const mapped = IPV4_MAPPED.exec(address);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (isIPv4(address)) return address;
  if (isIPv6(address)) return `${ipv6Groups(address).slice(0, 4).join(":")}::/64`;
  return UNKNOWN_CLIENT;
}

/** The eight 16-bit groups of a valid IPv6 address, in short hex. */
function ipv6Groups(address: string): string[] {
  const expand = (part: string) =>
    part
      .split(":")
      .filter(Boolean)
      .flatMap((g) => {
        if (!g.includes(".")) return [g];
        const [a, b, c, d] = g.split(".").map(Number) as [number, number, number, number];
        return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
      });
  const [head = "", tail] = address.split("::");
  const h = expand(head);
  const t = tail === undefined ? [] : expand(tail);
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.map((g) => Number.parseInt(g, 16).toString(16));
}
