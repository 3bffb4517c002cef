// What the service reads from a User-Agent: only a coarse class, never the string itself (it is
// not stored). Shared by the server (an attempt's device class) and the invite page's script
// (whether Meta's popup can work at all), so both agree on what an in-app browser is.

export const DEVICE_CLASSES = ["desktop", "mobile", "in_app_browser"] as const;
export type DeviceClass = (typeof DEVICE_CLASSES)[number];

/**
 * Markers of the in-app browsers invite links are opened in. Their popups are blocked, open a
 * window the client never returns from, or come back without an `authResponse`.
 */
export const IN_APP_BROWSER_MARKERS: readonly { readonly app: string; readonly pattern: RegExp }[] = [
  { app: "instagram", pattern: /\bInstagram\b/i },
  // Facebook and Messenger: FBAN/FBAV on iOS, FB_IAB on Android, FBIOS on older iOS builds.
  { app: "facebook", pattern: /\b(FBAN|FBAV|FB_IAB|FBIOS|FB4A|FBDV)\b/ },
  { app: "messenger", pattern: /\bMessenger(ForiOS|Lite)?\b|\bOrca-Android\b/ },
  { app: "whatsapp", pattern: /\bWhatsApp\b/i },
  { app: "line", pattern: /\bLine\/\d/i },
  { app: "wechat", pattern: /\bMicroMessenger\b/i },
  { app: "tiktok", pattern: /\b(musical_ly|BytedanceWebview|TikTok)\b/i },
  { app: "snapchat", pattern: /\bSnapchat\b/i },
  { app: "linkedin", pattern: /\bLinkedInApp\b/i },
  { app: "twitter", pattern: /\bTwitter(Android)?\b/i },
  // Any Android WebView ("; wv)"), e.g. an email app's.
  { app: "android_webview", pattern: /;\s*wv\)/ },
  // An iOS WebView: WebKit on an iPhone or iPad without the "Safari/" token every browser sends.
  { app: "ios_webview", pattern: /^(?=.*\b(iPhone|iPad|iPod)\b)(?=.*AppleWebKit)(?!.*Safari\/).*/ },
];

/** The in-app browser a User-Agent names (the `app` of its first marker), or null. */
export function inAppBrowser(userAgent: string | null | undefined): string | null {
  if (!userAgent) return null;
  for (const marker of IN_APP_BROWSER_MARKERS) {
    if (marker.pattern.test(userAgent)) return marker.app;
  }
  return null;
}

const MOBILE = /\b(Mobi|Android|iPhone|iPad|iPod|Windows Phone|Opera Mini|IEMobile)\b/i;

/** desktop, mobile or in_app_browser: the most a partner is told about a client's device. */
export function deviceClass(userAgent: string | null | undefined): DeviceClass {
  if (inAppBrowser(userAgent)) return "in_app_browser";
  return userAgent && MOBILE.test(userAgent) ? "mobile" : "desktop";
}
