import { describe, expect, it } from "vitest";
import { deviceClass, inAppBrowser } from "../../src/lib/user-agent";

// Real User-Agent strings as these apps send them.
const AGENTS = {
  chromeDesktop:
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  safariMac:
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
  safariIphone:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
  chromeAndroid:
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36",
  instagramIos:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 339.0.3.12.91 (iPhone15,3; iOS 17_5; en_US; en; scale=3.00; 1290x2796; 618358183)",
  facebookIos:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/470.0.0.41.106;FBBV/621334417;FBDV/iPhone15,3;FBMD/iPhone;FBSN/iOS;FBSV/17.5;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]",
  facebookAndroid:
    "Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/131.0.6778.81 Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/489.0.0.66.81;]",
  whatsappAndroid:
    "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 WhatsApp/2.24.10.76",
  lineIos:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari Line/14.5.0",
  gmailIos:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
};

describe("User-Agent classes", () => {
  it("names the in-app browser of each app's own User-Agent", () => {
    expect(inAppBrowser(AGENTS.instagramIos)).toBe("instagram");
    expect(inAppBrowser(AGENTS.facebookIos)).toBe("facebook");
    expect(inAppBrowser(AGENTS.facebookAndroid)).toBe("facebook");
    expect(inAppBrowser(AGENTS.whatsappAndroid)).toBe("whatsapp");
    expect(inAppBrowser(AGENTS.lineIos)).toBe("line");
    expect(inAppBrowser(AGENTS.gmailIos)).toBe("ios_webview");
  });

  it("leaves real browsers alone", () => {
    for (const ua of [AGENTS.chromeDesktop, AGENTS.safariMac, AGENTS.safariIphone, AGENTS.chromeAndroid]) {
      expect(inAppBrowser(ua)).toBeNull();
    }
    expect(inAppBrowser("")).toBeNull();
    expect(inAppBrowser(null)).toBeNull();
  });

  it("classes devices coarsely", () => {
    expect(deviceClass(AGENTS.chromeDesktop)).toBe("desktop");
    expect(deviceClass(AGENTS.safariMac)).toBe("desktop");
    expect(deviceClass(AGENTS.safariIphone)).toBe("mobile");
    expect(deviceClass(AGENTS.chromeAndroid)).toBe("mobile");
    expect(deviceClass(AGENTS.instagramIos)).toBe("in_app_browser");
    expect(deviceClass(AGENTS.facebookAndroid)).toBe("in_app_browser");
    expect(deviceClass(undefined)).toBe("desktop");
  });
});
