/**
 * Which of this Worker's two consumed queues a batch came from. Each environment names its
 * queues differently (wrangler.toml), so the names are configuration, never literals here:
 * WEBHOOK_QUEUE_NAME and WEBHOOK_DLQ_NAME sit beside each environment's queue bindings, and the
 * deploy check (webhookQueueConfigProblems, scripts/deploy.ts) refuses an environment whose
 * vars do not name its queues.
 */
export type WebhookQueueRole = "deliveries" | "dead_letters";

export interface WebhookQueueNames {
  WEBHOOK_QUEUE_NAME?: string | undefined;
  WEBHOOK_DLQ_NAME?: string | undefined;
}

/** The role of the queue named `queue`, or null for a name this environment does not declare. */
export function webhookQueueRole(queue: string, names: WebhookQueueNames): WebhookQueueRole | null {
  if (names.WEBHOOK_DLQ_NAME && queue === names.WEBHOOK_DLQ_NAME) return "dead_letters";
  if (names.WEBHOOK_QUEUE_NAME && queue === names.WEBHOOK_QUEUE_NAME) return "deliveries";
  return null;
}

/** The parts of an environment's resolved wrangler config (unstable_readConfig) the check reads. */
export interface QueueConfig {
  vars: Record<string, unknown>;
  queues: {
    producers?: { binding: string; queue: string }[] | undefined;
    consumers?: { queue: string; dead_letter_queue?: string | undefined }[] | undefined;
  };
}

/**
 * Why `env`'s queue handler would mistake one queue for the other, or not know one (empty: the
 * names agree). The vars must name WEBHOOK_QUEUE's and WEBHOOK_DLQ's queues, the first's
 * consumer must dead-letter into the second, both must be consumed, and nothing else.
 */
export function webhookQueueConfigProblems(env: string, config: QueueConfig): string[] {
  const problems: string[] = [];
  const where = `env.${env}`;
  const queueName = String(config.vars.WEBHOOK_QUEUE_NAME ?? "");
  const dlqName = String(config.vars.WEBHOOK_DLQ_NAME ?? "");
  const producers = config.queues.producers ?? [];
  const consumers = config.queues.consumers ?? [];
  const produced = (binding: string) => producers.find((p) => p.binding === binding)?.queue;

  if (!queueName) problems.push(`${where}: vars.WEBHOOK_QUEUE_NAME is missing`);
  if (!dlqName) problems.push(`${where}: vars.WEBHOOK_DLQ_NAME is missing`);
  if (queueName && queueName === dlqName) {
    problems.push(`${where}: vars.WEBHOOK_QUEUE_NAME and vars.WEBHOOK_DLQ_NAME are the same queue`);
  }
  for (const [binding, name, varName] of [
    ["WEBHOOK_QUEUE", queueName, "WEBHOOK_QUEUE_NAME"],
    ["WEBHOOK_DLQ", dlqName, "WEBHOOK_DLQ_NAME"],
  ] as const) {
    const queue = produced(binding);
    if (name && queue !== name) {
      problems.push(
        `${where}: vars.${varName} is ${name}, but the ${binding} producer sends to ${queue ?? "nothing"}`,
      );
    }
    if (name && !consumers.some((c) => c.queue === name)) {
      problems.push(`${where}: no queues.consumers entry for ${name} (vars.${varName})`);
    }
  }
  const main = consumers.find((c) => c.queue === queueName);
  if (main && main.dead_letter_queue !== dlqName) {
    problems.push(
      `${where}: the consumer of ${queueName} dead-letters into ${main.dead_letter_queue ?? "nothing"}, not vars.WEBHOOK_DLQ_NAME ${dlqName}`,
    );
  }
  for (const consumer of consumers) {
    if (consumer.queue !== queueName && consumer.queue !== dlqName) {
      problems.push(
        `${where}: queues.consumers ${consumer.queue} is neither vars.WEBHOOK_QUEUE_NAME nor vars.WEBHOOK_DLQ_NAME`,
      );
    }
  }
  return problems;
}
