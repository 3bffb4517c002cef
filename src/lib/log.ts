/**
 * One JSON object per line, which Workers Logs and `wrangler tail` index by field. Callers pass
 * only what is safe to keep: ids, routes, statuses; never a key, token, secret or body.
 */
export function logEvent(
  level: "info" | "warn" | "error",
  event: string,
  fields: Record<string, unknown>,
): void {
  const line = JSON.stringify({ level, event, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
