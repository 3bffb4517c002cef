/**
 * Which URLs a webhook may point at. The Worker POSTs to this URL on the partner's behalf, so
 * it must not be a way into internal networks (SSRF): only https, no credentials, and no host
 * that is, or is spelled as, a loopback, private, link-local or otherwise non-public address.
 *
 * Spellings: the WHATWG URL parser already rewrites every IPv4 form (decimal `2130706433`,
 * hex `0x7f.1`, octal `0177.0.0.1`, short `127.1`, percent-encoded, full-width digits) to
 * dotted decimal and IPv6 to its compressed form, so checking the parsed host covers them;
 * IPv4 inside IPv6 (mapped `::ffff:…`, compatible `::…`, NAT64 `64:ff9b::…`, 6to4 `2002:…`)
 * is unwrapped and judged as IPv4. A public name that resolves to a private address cannot be
 * judged here (Workers cannot resolve names); Cloudflare's fetch does not reach private
 * networks, and delivery does not follow redirects.
 */

export type HostClass = "public" | "loopback" | "internal";

export interface UrlPolicyOptions {
  /** WEBHOOK_ALLOW_LOCAL_URLS: also http:// and loopback hosts; private ranges stay refused. */
  allowLocal: boolean;
}

const MAX_URL_LENGTH = 2048;

// [first address as a 32-bit number, prefix length, class]
const IPV4_RANGES: [number, number, HostClass][] = [
  [ipv4(0, 0, 0, 0), 8, "internal"], // "this network"
  [ipv4(10, 0, 0, 0), 8, "internal"], // private
  [ipv4(100, 64, 0, 0), 10, "internal"], // carrier-grade NAT
  [ipv4(127, 0, 0, 0), 8, "loopback"],
  [ipv4(169, 254, 0, 0), 16, "internal"], // link-local (cloud metadata)
  [ipv4(172, 16, 0, 0), 12, "internal"], // private
  [ipv4(192, 0, 0, 0), 24, "internal"], // IETF protocol assignments
  [ipv4(192, 0, 2, 0), 24, "internal"], // documentation
  [ipv4(192, 88, 99, 0), 24, "internal"], // 6to4 relay
  [ipv4(192, 168, 0, 0), 16, "internal"], // private
  [ipv4(198, 18, 0, 0), 15, "internal"], // benchmarking
  [ipv4(198, 51, 100, 0), 24, "internal"], // documentation
  [ipv4(203, 0, 113, 0), 24, "internal"], // documentation
  [ipv4(224, 0, 0, 0), 4, "internal"], // multicast
  [ipv4(240, 0, 0, 0), 4, "internal"], // reserved, broadcast
];

function ipv4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

function inPrefix(address: number, first: number, prefix: number): boolean {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return (address & mask) >>> 0 === first;
}

export function classifyIpv4(address: number): HostClass {
  for (const [first, prefix, kind] of IPV4_RANGES) if (inPrefix(address, first, prefix)) return kind;
  return "public";
}

function parseDottedIpv4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) {
    return null;
  }
  const [a = 0, b = 0, c = 0, d = 0] = parts.map(Number);
  return ipv4(a, b, c, d);
}

/** Eight 16-bit groups, or null. Accepts `::` and a trailing dotted IPv4. */
export function parseIpv6(text: string): number[] | null {
  let spelled = text;
  const lastColon = spelled.lastIndexOf(":");
  if (spelled.slice(lastColon + 1).includes(".")) {
    const v4 = parseDottedIpv4(spelled.slice(lastColon + 1));
    if (v4 === null) return null;
    spelled = `${spelled.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = spelled.split("::");
  if (halves.length > 2) return null;
  const read = (half: string | undefined) =>
    half ? half.split(":").map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : Number.NaN)) : [];
  const head = read(halves[0]);
  const tail = read(halves[1]);
  const zeros = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (halves.length === 2 && zeros < 1) return null;
  const all = [...head, ...new Array<number>(zeros).fill(0), ...tail];
  return all.length === 8 && all.every(Number.isInteger) ? all : null;
}

export function classifyIpv6(g: number[]): HostClass {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const embedded = ((g6 << 16) | g7) >>> 0;
  const upperZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (upperZero && g5 === 0 && g6 === 0 && g7 <= 1) return g7 === 1 ? "loopback" : "internal"; // ::1, ::
  if (upperZero && (g5 === 0xffff || g5 === 0)) return classifyIpv4(embedded); // mapped, compatible
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return classifyIpv4(embedded); // NAT64
  }
  if (g0 === 0x2002) return classifyIpv4(((g1 << 16) | g2) >>> 0); // 6to4
  if (g0 === 0x64 && g1 === 0xff9b) return "internal"; // local-use NAT64 (64:ff9b:1::/48)
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return "internal"; // discard-only
  if (g0 === 0x2001 && (g1 === 0 || g1 === 0xdb8)) return "internal"; // Teredo, documentation
  if ((g0 & 0xfe00) === 0xfc00) return "internal"; // unique local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80 || (g0 & 0xffc0) === 0xfec0) return "internal"; // link/site-local
  if ((g0 & 0xff00) === 0xff00) return "internal"; // multicast
  return "public";
}

// Names that only mean something inside a network.
const INTERNAL_SUFFIXES = [".local", ".internal", ".localdomain", ".home.arpa", ".lan", ".intranet"];

export function classifyHost(hostname: string): HostClass | "invalid" {
  const host = hostname.toLowerCase().replace(/\.+$/, "");
  if (host.startsWith("[") && host.endsWith("]")) {
    const groups = parseIpv6(host.slice(1, -1).replace(/%.*$/, ""));
    return groups ? classifyIpv6(groups) : "invalid";
  }
  const v4 = parseDottedIpv4(host);
  if (v4 !== null) return classifyIpv4(v4);
  // The parser turns every numeric IPv4 spelling into dotted decimal; anything numeric-looking
  // left over is not a name we can judge.
  if (/^[0-9.]+$/.test(host) || /^0x/.test(host)) return "invalid";
  if (host === "localhost" || host.endsWith(".localhost")) return "loopback";
  // A single label ("intranet") is resolved by a local search domain, never publicly.
  if (!host.includes(".")) return "internal";
  if (INTERNAL_SUFFIXES.some((suffix) => host.endsWith(suffix))) return "internal";
  return "public";
}

/** Why `input` cannot be a webhook URL, or null when it can. */
export function webhookUrlProblem(input: string, options: UrlPolicyOptions): string | null {
  if (input.length > MAX_URL_LENGTH) return `Must be at most ${MAX_URL_LENGTH} characters`;
  // Checked on the raw text too: the parser drops an empty `user:@` but it was still sent.
  const authority = /^[a-z][a-z0-9+.-]*:[/\\]*([^/\\?#]*)/i.exec(input.trim())?.[1] ?? "";
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return "Must be an absolute URL";
  }
  if (url.username || url.password || authority.includes("@")) {
    return "Must not contain credentials (user:password@)";
  }
  const local = options.allowLocal;
  if (url.protocol !== "https:" && !(local && url.protocol === "http:")) return "Must use https";
  const kind = classifyHost(url.hostname);
  if (kind === "invalid") return "Must have a valid host";
  if (kind === "internal") return "Must not point at a private, link-local or internal address";
  if (kind === "loopback" && !local) return "Must not point at a loopback address or localhost";
  return null;
}
