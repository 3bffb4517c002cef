/** Webhook settings read from the Worker's vars (wrangler.toml, docs/webhooks.md). */
export interface WebhookSettings {
  /** Base of the exponential backoff: the n-th retry waits base * 2^(n-1) seconds. */
  retryDelaySeconds: number;
  /** Attempts per event before it goes to the dead-letter queue. */
  maxAttempts: number;
  /** Local development and tests only: also allow http:// and loopback URLs. */
  allowLocalUrls: boolean;
}

function integerVar(value: string | undefined, fallback: number, min: number): number {
  const parsed = value === undefined || value.trim() === "" ? Number.NaN : Number(value);
  return Number.isSafeInteger(parsed) && parsed >= min ? parsed : fallback;
}

export function webhookSettings(env: Env): WebhookSettings {
  return {
    retryDelaySeconds: integerVar(env.WEBHOOK_RETRY_DELAY_SECONDS, 30, 0),
    maxAttempts: integerVar(env.WEBHOOK_MAX_ATTEMPTS, 8, 1),
    allowLocalUrls: env.WEBHOOK_ALLOW_LOCAL_URLS === "true",
  };
}

/** Queues refuses delays over 12 hours. */
const MAX_QUEUE_DELAY_SECONDS = 12 * 60 * 60;

/** Seconds before retry number `failedAttempts` (1 after the first failure). */
export function retryDelaySeconds(settings: WebhookSettings, failedAttempts: number): number {
  return Math.min(settings.retryDelaySeconds * 2 ** (failedAttempts - 1), MAX_QUEUE_DELAY_SECONDS);
}
