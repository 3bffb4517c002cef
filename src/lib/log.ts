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

interface ErrorRecord {
  name: string;
  message: string;
  stack?: string;
  cause?: ErrorRecord | string;
}

// drizzle puts the bound parameters of a failed query in its message ("params: …"); those are
// tokens' hashes, ciphertexts and clients' personal data, which logs must not hold.
const PARAMS_LINE = /\nparams: .*$/gm;

/** An error and its causes as a log record: messages and stacks, never bound parameters. */
export function describeError(error: unknown, depth = 0): ErrorRecord | string {
  if (!(error instanceof Error)) return String(error);
  const record: ErrorRecord = {
    name: error.name,
    message: error.message.replace(PARAMS_LINE, ""),
  };
  if (error.stack) record.stack = error.stack.replace(PARAMS_LINE, "");
  if (error.cause !== undefined && depth < 5) record.cause = describeError(error.cause, depth + 1);
  return record;
}
