import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { type QueueConfig, webhookQueueConfigProblems } from "../../src/webhooks/queues";
import { createProject } from "../support/api";
import { cancelledEvent, configureWebhook, eventOf, nth, outboxRow, Receiver } from "./support/webhooks";

// The queue handler tells deliveries from dead letters by the names each environment declares
// (vars WEBHOOK_QUEUE_NAME, WEBHOOK_DLQ_NAME), never by a literal: here with each environment's
// names as wrangler resolves wrangler.toml (vitest.config.ts passes them in as
// TEST_QUEUE_CONFIGS, read as scripts/deploy.ts reads them), and the deploy check's refusals.

const ENVIRONMENTS = ["top-level", "staging", "production"] as const;
type Environment = (typeof ENVIRONMENTS)[number];

const configOf = (name: Environment): QueueConfig => env.TEST_QUEUE_CONFIGS[name];

/** The consumed queues of an environment, read from its consumers (not from the vars). */
function queuesOf(name: Environment) {
  const consumers = configOf(name).queues.consumers ?? [];
  const main = consumers.find((c) => c.dead_letter_queue !== undefined);
  if (!main?.dead_letter_queue) throw new Error(`${name}: no consumer with a dead_letter_queue`);
  return { deliveries: main.queue, deadLetters: main.dead_letter_queue };
}

/** The Worker's env as deployed in `name`: its queue-name vars. */
function envOf(name: Environment): Env {
  const { vars } = configOf(name);
  return {
    ...env,
    WEBHOOK_QUEUE_NAME: String(vars.WEBHOOK_QUEUE_NAME),
    WEBHOOK_DLQ_NAME: String(vars.WEBHOOK_DLQ_NAME),
  };
}

/** An event `queued` for a project whose active webhook is `receiver` (answering 200). */
async function queuedEvent() {
  const { apiKey } = await createProject();
  const eventId = await cancelledEvent(apiKey);
  const receiver = new Receiver();
  await configureWebhook(apiKey, receiver.url);
  await env.DB.prepare("UPDATE invitation_events SET delivery_state = 'queued', lease_until = ? WHERE id = ?")
    .bind(Date.now() + 15 * 60_000, eventId)
    .run();
  return { eventId, receiver };
}

let retryAllCalls: ReturnType<typeof vi.spyOn> | undefined;

/** Runs the Worker's queue handler on one message from `queue`, with `workerEnv`. */
async function handle(queue: string, eventId: string, workerEnv: Env) {
  const batch = createMessageBatch(queue, [
    { id: `msg-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body: { eventId } },
  ]);
  // getQueueResult does not report a batch retry's delay: the call itself does.
  retryAllCalls = vi.spyOn(batch, "retryAll");
  const ctx = createExecutionContext();
  await worker.queue(batch as never, workerEnv, ctx);
  const result = await getQueueResult(batch, ctx);
  return { result, messageId: nth(batch.messages, 0).id };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("each environment's queue names, as wrangler.toml declares them", () => {
  it("the deploy check accepts every environment; the names differ between environments", () => {
    for (const name of ENVIRONMENTS) expect(webhookQueueConfigProblems(name, configOf(name))).toEqual([]);
    // What made a literal wrong: staging and production do not use the local names.
    const names = ENVIRONMENTS.map((name) => queuesOf(name).deadLetters);
    expect(new Set(names).size).toBe(3);
    expect(queuesOf("top-level").deadLetters).toBe("webhook-events-dlq");
  });

  for (const name of ENVIRONMENTS) {
    it(`${name}: a dead letter is marked failed and never POSTed again; acked`, async () => {
      const { eventId, receiver } = await queuedEvent();
      const { result, messageId } = await handle(queuesOf(name).deadLetters, eventId, envOf(name));
      expect(result.explicitAcks).toEqual([messageId]);
      expect(result.retryMessages).toEqual([]);
      expect((await outboxRow(eventId)).delivery_state).toBe("failed");
      expect((await outboxRow(eventId)).lease_until).toBeNull();
      await receiver.waitForExactly(0);
    });

    it(`${name}: a message of the delivery queue is POSTed and marked delivered`, async () => {
      const { eventId, receiver } = await queuedEvent();
      const { result, messageId } = await handle(queuesOf(name).deliveries, eventId, envOf(name));
      expect(result.explicitAcks).toEqual([messageId]);
      const [request] = await receiver.waitForExactly(1);
      expect(eventOf(request as never).id).toBe(eventId);
      expect((await outboxRow(eventId)).delivery_state).toBe("delivered");
    });
  }

  it("a queue the environment does not name: logged, retried later, neither POSTed nor marked", async () => {
    const { eventId, receiver } = await queuedEvent();
    const log = vi.spyOn(console, "error");
    // Staging's dead-letter queue, seen by a Worker configured with the local names.
    const { result, messageId } = await handle(queuesOf("staging").deadLetters, eventId, envOf("top-level"));
    expect(result.retryBatch).toEqual({ retry: true });
    expect(retryAllCalls?.mock.calls).toEqual([[{ delaySeconds: 300 }]]);
    expect(result.explicitAcks).toEqual([]);
    expect(messageId).toMatch(/^msg-/);
    expect((await outboxRow(eventId)).delivery_state).toBe("queued");
    await receiver.waitForExactly(0);
    const lines = log.mock.calls
      .map((args) => String(args[0]))
      .filter((l) => l.includes("webhook_unknown_queue"));
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        level: "error",
        event: "webhook_unknown_queue",
        queue: "partner-invitations-webhooks-staging-dlq",
        messages: 1,
        expected: ["webhook-events", "webhook-events-dlq"],
      }),
    ]);
  });
});

describe("the deploy check refuses an environment whose names disagree", () => {
  const staging = () => structuredClone(configOf("staging"));

  it("a DLQ var that is not the consumer's dead_letter_queue (the local name left in staging)", () => {
    const config = staging();
    config.vars.WEBHOOK_DLQ_NAME = "webhook-events-dlq";
    expect(webhookQueueConfigProblems("staging", config)).toEqual([
      "env.staging: vars.WEBHOOK_DLQ_NAME is webhook-events-dlq, but the WEBHOOK_DLQ producer sends to partner-invitations-webhooks-staging-dlq",
      "env.staging: no queues.consumers entry for webhook-events-dlq (vars.WEBHOOK_DLQ_NAME)",
      "env.staging: the consumer of partner-invitations-webhooks-staging dead-letters into partner-invitations-webhooks-staging-dlq, not vars.WEBHOOK_DLQ_NAME webhook-events-dlq",
      "env.staging: queues.consumers partner-invitations-webhooks-staging-dlq is neither vars.WEBHOOK_QUEUE_NAME nor vars.WEBHOOK_DLQ_NAME",
    ]);
  });

  it("a renamed dead-letter queue whose var was not changed", () => {
    const config = staging();
    const main = nth(config.queues.consumers ?? [], 0);
    main.dead_letter_queue = "partner-invitations-webhooks-staging-dead";
    expect(webhookQueueConfigProblems("staging", config)).toEqual([
      "env.staging: the consumer of partner-invitations-webhooks-staging dead-letters into partner-invitations-webhooks-staging-dead, not vars.WEBHOOK_DLQ_NAME partner-invitations-webhooks-staging-dlq",
    ]);
  });

  it("missing vars, one name for both, a queue var naming another queue", () => {
    const missing = staging();
    missing.vars = {};
    expect(webhookQueueConfigProblems("production", missing)).toEqual([
      "env.production: vars.WEBHOOK_QUEUE_NAME is missing",
      "env.production: vars.WEBHOOK_DLQ_NAME is missing",
      "env.production: queues.consumers partner-invitations-webhooks-staging is neither vars.WEBHOOK_QUEUE_NAME nor vars.WEBHOOK_DLQ_NAME",
      "env.production: queues.consumers partner-invitations-webhooks-staging-dlq is neither vars.WEBHOOK_QUEUE_NAME nor vars.WEBHOOK_DLQ_NAME",
    ]);

    const same = staging();
    same.vars.WEBHOOK_QUEUE_NAME = same.vars.WEBHOOK_DLQ_NAME;
    expect(webhookQueueConfigProblems("staging", same)).toContain(
      "env.staging: vars.WEBHOOK_QUEUE_NAME and vars.WEBHOOK_DLQ_NAME are the same queue",
    );

    const other = staging();
    other.vars.WEBHOOK_QUEUE_NAME = "partner-invitations-webhooks";
    expect(webhookQueueConfigProblems("staging", other)).toEqual([
      "env.staging: vars.WEBHOOK_QUEUE_NAME is partner-invitations-webhooks, but the WEBHOOK_QUEUE producer sends to partner-invitations-webhooks-staging",
      "env.staging: no queues.consumers entry for partner-invitations-webhooks (vars.WEBHOOK_QUEUE_NAME)",
      "env.staging: queues.consumers partner-invitations-webhooks-staging is neither vars.WEBHOOK_QUEUE_NAME nor vars.WEBHOOK_DLQ_NAME",
    ]);
  });
});
