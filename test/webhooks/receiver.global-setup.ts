import type { TestProject } from "vitest/node";
import { startReceiver } from "./support/receiver-server";

declare module "vitest" {
  export interface ProvidedContext {
    webhookReceiverOrigin: string;
  }
}

/** Starts the loopback webhook receiver for the whole run (test/webhooks). */
export default async function setup(project: TestProject) {
  const { origin, server } = await startReceiver();
  project.provide("webhookReceiverOrigin", origin);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
