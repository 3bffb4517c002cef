/**
 * The address a per-address limit counts: the client's IPv4 address, or the /64 of an IPv6
 * one, since one subscriber or host usually holds a whole /64 and can pick any address in it.
 * `CF-Connecting-IP` is set by Cloudflare's edge (and by wrangler dev); a client cannot choose it.
 */
export function addressSubject(header: string | undefined): string {
  if (!header) return "unknown";
  if (!header.includes(":")) return header;
  const groups = expandIPv6(header);
  return groups ? `${groups.slice(0, 4).join(":")}::/64` : header;
}

/** The eight 16-bit groups of an IPv6 address, lower-case without leading zeros; null if invalid. */
export function expandIPv6(address: string): string[] | null {
  let text = address.toLowerCase();
  // An embedded IPv4 tail (::ffff:192.0.2.1) becomes its two groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => Number.parseInt(g, 16).toString(16));
}
