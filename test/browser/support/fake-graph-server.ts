/**
 * The server helper's fake of Meta's Graph API (src/meta/fake.ts, the same handler test mode
 * runs in-process) served over HTTP on 127.0.0.1, for a Worker whose META_GRAPH_URL points here:
 * the live path of the page, with Meta's SDK stubbed in the browser, runs against it.
 *
 * `GET /__calls` (this wrapper's, not Meta's) answers every Graph request seen so far, so a
 * test can check exactly which calls the Worker made: method, path without the version, the
 * version, and the names of the query parameters (values hold secrets and codes).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createFakeMeta } from "../../../src/meta/fake";

export interface GraphCall {
  method: string;
  path: string;
  version: string;
  params: string[];
}

export async function startFakeGraph(appId: string, appSecret: string) {
  // A "timeout" scenario stalls longer than the Worker's Graph timeout, then answers.
  const fake = createFakeMeta({ appId, appSecret, stallMs: 30_000 });
  const calls: GraphCall[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      try {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        if (url.pathname === "/__calls") {
          res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(calls));
          return;
        }
        if (url.pathname === "/__dialog" && req.method === "POST") {
          // The scenario of the codes Meta's OAuth dialog (the fake's) issues from now on.
          fake.setDialogScenario(url.searchParams.get("scenario") ?? "ok");
          res.writeHead(204).end();
          return;
        }
        const version = /^\/(v\d+\.\d+)\//.exec(url.pathname)?.[1] ?? "";
        calls.push({
          method: req.method ?? "GET",
          path: url.pathname.replace(/^\/v\d+\.\d+/, ""),
          version,
          params: [...new Set(url.searchParams.keys())].sort(),
        });
        const headers = new Headers();
        for (const [name, value] of Object.entries(req.headers)) {
          if (typeof value === "string") headers.set(name, value);
        }
        const body =
          chunks.length > 0 && req.method !== "GET" && req.method !== "HEAD"
            ? Buffer.concat(chunks)
            : undefined;
        const abort = new AbortController();
        res.on("close", () => abort.abort());
        const answer = await fake.fetch(
          new Request(url, { method: req.method, headers, body, signal: abort.signal }),
        );
        res
          .writeHead(answer.status, Object.fromEntries(answer.headers))
          .end(Buffer.from(await answer.arrayBuffer()));
      } catch (error) {
        if (!res.headersSent) res.writeHead(502).end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sets the scenario of the fake OAuth dialog's next codes (`ok`, `several_pages`, ...). */
export async function setDialogScenario(fakeGraphUrl: string, scenario: string): Promise<void> {
  const res = await fetch(`${fakeGraphUrl}/__dialog?scenario=${encodeURIComponent(scenario)}`, {
    method: "POST",
    signal: AbortSignal.timeout(5_000),
  });
  if (res.status !== 204) throw new Error(`fake dialog scenario: ${res.status}`);
}

/** The Graph calls the fake has seen so far (from a test, in another process than the server). */
export async function graphCalls(fakeGraphUrl: string): Promise<GraphCall[]> {
  const res = await fetch(`${fakeGraphUrl}/__calls`, { signal: AbortSignal.timeout(5_000) });
  return (await res.json()) as GraphCall[];
}
