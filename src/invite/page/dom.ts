// Small DOM helpers shared by the page's modules.

/** An element with its properties set and its children appended. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]>,
  ...kids: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...kids);
  return e;
}

/** A message with its `{name}` placeholders filled; unknown ones stay as written. */
export const fill = (s: string, v: Record<string, string>) =>
  s.replace(/\{(\w+)\}/g, (m, k) => (k in v ? v[k] : m) ?? m);
