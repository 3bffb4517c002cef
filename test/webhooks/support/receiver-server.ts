/**
 * A real HTTP receiver on loopback (Node, started by vitest's globalSetup), standing in for a
 * partner's webhook endpoint: the Worker's consumer POSTs to it over a real socket. Each test
 * uses its own path, so tests never see each other's deliveries.
 *
 *   POST /hooks/<name>         records the request; answers the next scripted status
 *   PUT  /control/<name>       { statuses?: number[], delaysMs?: number[] } what to answer, and
 *                              how long to wait first, request by request (the last repeats)
 *   GET  /control/<name>       { requests: [{ headers, body, receivedAt }] }
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
}

interface Hook {
  statuses: number[];
  delaysMs: number[];
  requests: RecordedRequest[];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function startReceiver(): Promise<{ origin: string; server: Server }> {
  const hooks = new Map<string, Hook>();
  const hook = (name: string) => {
    let found = hooks.get(name);
    if (!found) {
      found = { statuses: [200], delaysMs: [0], requests: [] };
      hooks.set(name, found);
    }
    return found;
  };
  const server = createServer(async (req, res) => {
    const [, kind, name = ""] = (req.url ?? "").split("/");
    const body = await readBody(req);
    const target = hook(name);
    if (kind === "hooks") {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      target.requests.push({ method: req.method ?? "", headers, body, receivedAt: Date.now() });
      const next = (script: number[]) => (script.length > 1 ? script.shift() : script[0]);
      const status = next(target.statuses) ?? 200;
      const delay = next(target.delaysMs) ?? 0;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      res.writeHead(status, { "Content-Type": "text/plain" });
      res.end(status < 300 ? "ok, thanks" : `receiver says no (${status})`);
    } else if (kind === "control" && req.method === "PUT") {
      const script = JSON.parse(body || "{}") as { statuses?: number[]; delaysMs?: number[] };
      if (script.statuses) target.statuses = [...script.statuses];
      if (script.delaysMs) target.delaysMs = [...script.delaysMs];
      res.writeHead(204).end();
    } else if (kind === "control") {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ requests: target.requests }));
    } else {
      res.writeHead(404).end();
    }
  });
  // Port 0: the OS picks a free one, so parallel runs on one machine never collide.
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, server };
}
