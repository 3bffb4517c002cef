import { en, type Messages } from "./messages/en";
import { es } from "./messages/es";
import { pt } from "./messages/pt";

export const LANGUAGES = { en, es, pt } as const satisfies Record<string, Messages>;
export type Language = keyof typeof LANGUAGES;

/** The locale of Meta's SDK per page language, so Meta's window speaks the page's language. */
export const SDK_LOCALES: Record<Language, string> = { en: "en_US", es: "es_LA", pt: "pt_BR" };

function isLanguage(tag: string): tag is Language {
  return Object.hasOwn(LANGUAGES, tag);
}

/**
 * The page language from `Accept-Language` (RFC 9110 12.5.4): the supported language with the
 * highest q-value, ties in the header's order; `q=0` means "not this one"; `*` and anything
 * unknown or malformed fall back to English. `es-MX` and `pt-BR` match by their primary subtag.
 */
export function chooseLanguage(header: string | undefined): Language {
  if (!header) return "en";
  let best: Language | undefined;
  let bestQ = 0;
  for (const part of header.slice(0, 1_000).split(",")) {
    const [range = "", ...params] = part.trim().toLowerCase().split(";");
    let q = 1;
    for (const param of params) {
      const [name, value] = param.trim().split("=");
      // A q-value is 0 to 1 with at most three decimals; a malformed one disqualifies the range.
      if (name === "q")
        q = value !== undefined && /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(value) ? Number(value) : 0;
    }
    const primary = range === "*" ? "en" : (range.split("-")[0] ?? "");
    if (q > bestQ && isLanguage(primary)) {
      best = primary;
      bestQ = q;
    }
  }
  return best ?? "en";
}

/** `{name}` placeholders filled from `values`; an unknown one stays as written. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) =>
    Object.hasOwn(values, key) ? (values[key] ?? "") : whole,
  );
}

/** A date and time as people of that language write it, in UTC (the zone is named). */
export function formatDateTime(language: Language, epochMs: number): string {
  return new Intl.DateTimeFormat(language, { dateStyle: "long", timeStyle: "long", timeZone: "UTC" }).format(
    epochMs,
  );
}

/** Country names in the page's language, from ISO 3166-1 alpha-2 codes ("Mexico", "México"). */
export function formatCountries(language: Language, codes: readonly string[]): string {
  const names = new Intl.DisplayNames([language], { type: "region", fallback: "code" });
  return new Intl.ListFormat(language, { style: "long", type: "conjunction" }).format(
    codes.map((code) => names.of(code) ?? code),
  );
}
