/**
 * Response headers of the invite page. The token in its URL is a bearer credential: it stays out
 * of caches, referrers and search indexes, and the page cannot be framed (clickjacking the
 * connect button). The Content-Security-Policy allows exactly what each kind of page needs.
 */

/**
 * What a page runs: nothing (404/410), the page script alone (test mode), or Meta's SDK too;
 * "return": a used invitation's page with its countdown back to the partner (return.js).
 */
export type PageKind = "static" | "test" | "live" | "return";

// Meta's hosts (see /work/shared/reference/META.md). The SDK script comes from
// connect.facebook.net; its login window is a popup (not governed by this policy), but the SDK
// also frames and calls www.facebook.com (web.facebook.com in some regions) for login status,
// and graph.facebook.com for its API. Nothing wider (no *.facebook.com wildcard).
const META_SCRIPT = "https://connect.facebook.net";
const META_FRAMES = "https://www.facebook.com https://web.facebook.com";
const META_CONNECT = `${META_FRAMES} https://graph.facebook.com ${META_SCRIPT}`;

export function contentSecurityPolicy(kind: PageKind, nonce: string): string {
  const directives = [
    "default-src 'none'",
    // The page's one stylesheet (<link>, a static asset) carries the nonce too: no inline style
    // attribute is allowed.
    `style-src 'nonce-${nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    // The partner's logo, served by this Worker (/branding/logos/): no other image host.
    "img-src 'self'",
  ];
  if (kind === "return") directives.push(`script-src 'nonce-${nonce}'`);
  if (kind === "test") directives.push(`script-src 'nonce-${nonce}'`, "connect-src 'self'");
  if (kind === "live") {
    directives.push(
      `script-src 'nonce-${nonce}' ${META_SCRIPT}`,
      `connect-src 'self' ${META_CONNECT}`,
      `frame-src ${META_FRAMES}`,
    );
  }
  return directives.join("; ");
}

export function pageHeaders(kind: PageKind, nonce: string): Record<string, string> {
  return {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
    // For browsers older than CSP's frame-ancestors.
    "X-Frame-Options": "DENY",
    // The page's language follows Accept-Language.
    Vary: "Accept, Accept-Language",
    "Content-Security-Policy": contentSecurityPolicy(kind, nonce),
  };
}

/** 128 random bits, base64: a fresh nonce for each response. */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}
