/**
 * WCAG 2.x contrast (https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio), for the invite page's
 * main action: its background is the partner's accent, its text black or white, whichever
 * contrasts more. One of the two always reaches at least 4.58:1 (the worst accent has a relative
 * luminance of about 0.18), so the text always meets AA's 4.5:1.
 */

/** `#RRGGBB` to its relative luminance, 0 (black) to 1 (white). */
export function relativeLuminance(hex: string): number {
  const channel = (offset: number) => {
    const c = Number.parseInt(hex.slice(offset, offset + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

export const BLACK = "#000000";
export const WHITE = "#FFFFFF";

/** The text colour for an accent background: black or white, whichever contrasts more. */
export function textOn(accent: string): typeof BLACK | typeof WHITE {
  return contrastRatio(accent, BLACK) >= contrastRatio(accent, WHITE) ? BLACK : WHITE;
}

/**
 * The button's border: the accent itself when it stands out from the white card (3:1, WCAG's
 * non-text contrast), else the text colour, so a pale accent's button still has a visible edge.
 */
export function borderFor(accent: string): string {
  return contrastRatio(accent, WHITE) >= 3 ? accent : textOn(accent);
}
