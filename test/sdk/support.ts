import Zavudev from "@zavudev/sdk";
import type { Caller } from "../support/app";

/** The official client, configured as a partner would, into an app built by the test (its own fake of Meta, clock). */
export function sdkOn(app: Caller, apiKey: string): Zavudev {
  return new Zavudev({
    apiKey,
    baseURL: "https://invitations.test",
    maxRetries: 0,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const url = new URL(request.url);
      const body =
        request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
      return app(`${url.pathname}${url.search}`, { method: request.method, headers: request.headers, body });
    },
  });
}
