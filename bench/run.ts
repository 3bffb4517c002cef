/**
 * `npm run bench` (not part of `npm test`): the service against a framework-free reference
 * Worker (bench/reference), all under `wrangler dev` on this machine, alternating, with the
 * rate limits lifted through their vars. For create, get and list: throughput, p50 and p99
 * latency, and workerd CPU time per request (from /proc, before and after each run). Prints
 * the medians of the per-alternation ratios and writes them to bench/results.md.
 *
 * Three baselines run in each alternation: the reference as the performance bars define it (no
 * log line); the same reference writing the service's one request line per request
 * (`reference-log`, LOG_REQUESTS), which isolates what that one console call costs under
 * `wrangler dev`; and that one also running each request on a D1 session with its sealed
 * bookmark, as the service's read replication does (`reference-session`, D1_SESSIONS), which
 * isolates what the Sessions API costs under `wrangler dev` from what the framework and the
 * service's own work cost.
 *
 * Throughput under wrangler swings a lot between runs on a shared machine: only ratios of runs
 * made back to back mean anything, hence the alternation and the medians.
 *
 * Options (environment): BENCH_SECONDS (default 5), BENCH_ALTERNATIONS (5),
 * BENCH_CONNECTIONS (10), BENCH_PORT (first of eight ports, default 9300), BENCH_ENDPOINTS
 * (create,get,list), BENCH_SERVICE_CONFIG (the service's wrangler config, for experiments).
 *
 * The service runs wrangler.toml without its [assets] table (withoutAssets): the bench measures
 * the Worker's own code. In production the asset layer in front of it is Cloudflare's and is not
 * billed to the Worker; under `wrangler dev` it would be wrangler's local stand-in for it.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { newApiKey, newProject } from "../src/projects/provisioning";

const ROOT = path.resolve(import.meta.dirname, "..");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ALTERNATIONS = Number(process.env.BENCH_ALTERNATIONS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const PORT = Number(process.env.BENCH_PORT ?? 9300);
const STATE = path.join(ROOT, ".wrangler", "bench");
const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim() || 100);
const WRANGLER = path.join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

const CREATE_BODY = JSON.stringify({
  clientName: "Acme Corp",
  clientEmail: "contact@acme.com",
  clientPhone: "+14155551234",
  expiresInDays: 14,
  allowedPhoneCountries: ["US", "MX"],
});

interface Target {
  name: "service" | "reference" | "reference-log" | "reference-session";
  config: string;
  port: number;
  state: string;
  headers: Record<string, string>;
  process?: ChildProcess;
  invitationId?: string;
}

function wrangler(args: string[], cwd = ROOT): string {
  const run = spawnSync(process.execPath, [WRANGLER, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
  });
  if (run.status !== 0) throw new Error(`wrangler ${args.join(" ")} failed:\n${run.stderr}\n${run.stdout}`);
  return run.stdout;
}

function sql(target: Target, command: string): void {
  wrangler([
    "d1",
    "execute",
    "DB",
    "--local",
    "--persist-to",
    target.state,
    "-c",
    target.config,
    "--command",
    command,
  ]);
}

/** The field names, in order, of what create, get and list answer (an invitation's, and a page's). */
async function answerShape(target: Target): Promise<string> {
  const keys = (value: unknown) => Object.keys(value as object).join(",");
  const created = JSON.parse((await call(target, "create")).text) as { invitation: object };
  const got = JSON.parse((await call(target, "get")).text) as { invitation: object };
  const page = JSON.parse((await call(target, "list")).text) as { items: object[] };
  return [keys(created.invitation), keys(got.invitation), keys(page), keys(page.items[0])].join(" | ");
}

/** A fresh local D1 (migrated, seeded with `seed`), then `wrangler dev` on it. */
async function start(target: Target, vars: Record<string, string>, seed: string): Promise<void> {
  rmSync(target.state, { recursive: true, force: true });
  wrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", target.state, "-c", target.config]);
  sql(target, seed);
  const envFile = `${target.state}.vars`;
  writeFileSync(
    envFile,
    Object.entries(vars)
      .map(([k, v]) => `${k}="${v}"`)
      .join("\n"),
  );
  target.process = spawn(
    process.execPath,
    [
      WRANGLER,
      "dev",
      "-c",
      target.config,
      "--port",
      String(target.port),
      "--inspector-port",
      String(target.port + 4),
      "--persist-to",
      target.state,
      "--env-file",
      envFile,
      "--log-level",
      "warn",
    ],
    {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    },
  );
  for (let i = 0; i < 600; i++) {
    try {
      await request(target, "GET", "/v1/invitations/none");
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${target.name} did not start on port ${target.port}`);
}

/**
 * The workerd processes started by this wrangler (descendants of its pid): `wrangler dev` runs
 * two, a proxy in front and the runtime of the Worker; both serve every request.
 */
function workerdPids(root: number): number[] {
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      names.set(Number(entry), stat.slice(stat.indexOf("(") + 1, close));
      parents.set(Number(entry), Number(stat.slice(close + 2).split(" ")[1]));
    } catch {
      // gone
    }
  }
  const found: number[] = [];
  for (const [pid, name] of names) {
    if (!name.startsWith("workerd")) continue;
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) {
      if (p === root) {
        found.push(pid);
        break;
      }
    }
  }
  if (found.length === 0) throw new Error(`no workerd under pid ${root}`);
  return found;
}

/** utime + stime of `pids`, in milliseconds. */
function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / CLK_TCK;
}

// Keep-alive connections, fresh for each run: between runs they sit idle while the other
// Worker is measured, and the server may close them.
let agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });

function request(
  target: Target,
  method: string,
  urlPath: string,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port: target.port,
        method,
        path: urlPath,
        agent,
        headers: {
          ...target.headers,
          ...(body ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

type Endpoint = "create" | "get" | "list";

function call(target: Target, endpoint: Endpoint) {
  if (endpoint === "create") return request(target, "POST", "/v1/invitations", CREATE_BODY);
  if (endpoint === "get") return request(target, "GET", `/v1/invitations/${target.invitationId}`);
  return request(target, "GET", "/v1/invitations");
}

const EXPECTED: Record<Endpoint, number> = { create: 201, get: 200, list: 200 };

interface Run {
  rps: number;
  p50: number;
  p99: number;
  cpuPerRequest: number;
}

async function load(target: Target, endpoint: Endpoint, seconds: number): Promise<Run> {
  if (!target.process?.pid) throw new Error("not started");
  agent.destroy();
  agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const pid = workerdPids(target.process.pid);
  const latencies: number[] = [];
  const cpuBefore = cpuMs(pid);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        const res = await call(target, endpoint);
        latencies.push(performance.now() - t0);
        if (res.status !== EXPECTED[endpoint]) {
          throw new Error(`${target.name} ${endpoint}: ${res.status} ${res.text.slice(0, 300)}`);
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuMs(pid) - cpuBefore;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    rps: latencies.length / elapsed,
    p50: at(0.5),
    p99: at(0.99),
    cpuPerRequest: cpu / latencies.length,
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

/** Beside wrangler.toml, so its relative paths (main, migrations_dir) still hold; not committed. */
const BENCH_CONFIG = path.join(ROOT, ".bench.wrangler.toml");

/** `config` with its top-level [assets] table removed (up to the next table), written to BENCH_CONFIG. */
function withoutAssets(config: string): string {
  const lines = readFileSync(config, "utf8").split("\n");
  const start = lines.indexOf("[assets]");
  if (start === -1) return config;
  let end = start + 1;
  while (end < lines.length && !lines[end]?.startsWith("[")) end++;
  writeFileSync(BENCH_CONFIG, [...lines.slice(0, start), ...lines.slice(end)].join("\n"));
  return BENCH_CONFIG;
}

async function main(): Promise<void> {
  const vars = {
    TOKEN_HASH_KEY: randomBytes(32).toString("base64"),
    ENCRYPTION_KEYS: `bench1:${randomBytes(32).toString("base64")}`,
  };
  const now = Date.now();
  const project = newProject("Bench", now);
  const key = await newApiKey(project.id, now, "bench");
  const service: Target = {
    name: "service",
    config: withoutAssets(path.resolve(ROOT, process.env.BENCH_SERVICE_CONFIG ?? "wrangler.toml")),
    port: PORT,
    state: path.join(STATE, "service"),
    headers: { Authorization: `Bearer ${key.apiKey}` },
  };
  const reference: Target = {
    name: "reference",
    config: path.join(ROOT, "bench", "reference", "wrangler.toml"),
    port: PORT + 1,
    state: path.join(STATE, "reference"),
    headers: {},
  };
  const referenceLog: Target = {
    ...reference,
    name: "reference-log",
    port: PORT + 2,
    state: path.join(STATE, "reference-log"),
  };
  const referenceSession: Target = {
    ...reference,
    name: "reference-session",
    port: PORT + 3,
    state: path.join(STATE, "reference-session"),
  };
  const targets = [service, reference, referenceLog, referenceSession];
  const stop = () => {
    for (const t of targets) t.process?.kill("SIGTERM");
  };
  process.on("SIGINT", () => {
    stop();
    process.exit(130);
  });
  try {
    const projectRow = `INSERT INTO projects (id, name, created_at) VALUES ('${project.id}', 'Bench', ${now});`;
    const keyRow = `INSERT INTO api_keys (id, project_id, key_hash, key_prefix, name, created_at) VALUES ('${key.row.id}', '${project.id}', '${key.row.keyHash}', '${key.row.keyPrefix}', 'bench', ${now});`;
    // Rate limits lifted: counted as usual, never reached.
    const lifted = { RATE_LIMIT_PER_MINUTE: "1000000000", RATE_LIMIT_PER_ADDRESS_PER_MINUTE: "1000000000" };
    await start(service, { ...vars, ...lifted }, projectRow + keyRow);
    await start(reference, { ...vars, PROJECT_ID: project.id }, projectRow);
    await start(referenceLog, { ...vars, PROJECT_ID: project.id, LOG_REQUESTS: "1" }, projectRow);
    const sessions = { PROJECT_ID: project.id, LOG_REQUESTS: "1", D1_SESSIONS: "1" };
    await start(referenceSession, { ...vars, ...sessions }, projectRow);
    const shapes = new Map<string, string>();
    for (const target of targets) {
      const created = await call(target, "create");
      if (created.status !== 201) throw new Error(`${target.name}: ${created.status} ${created.text}`);
      target.invitationId = (JSON.parse(created.text) as { invitation: { id: string } }).invitation.id;
      for (const endpoint of ["create", "get", "list"] as const) await load(target, endpoint, 1); // warm-up
      shapes.set(target.name, await answerShape(target));
    }
    // The bars compare like with like: the reference must answer the service's JSON, field for field.
    if (new Set(shapes.values()).size !== 1) {
      throw new Error(
        `the reference no longer answers the service's JSON:\n${[...shapes].map(([n, s]) => `${n}: ${s}`).join("\n")}`,
      );
    }

    const endpoints = (process.env.BENCH_ENDPOINTS ?? "create,get,list").split(",") as Endpoint[];
    type Round = Record<Target["name"], Run>;
    const runs: Record<Endpoint, Round[]> = { create: [], get: [], list: [] };
    for (let round = 0; round < ALTERNATIONS; round++) {
      for (const endpoint of endpoints) {
        // Rotate who goes first, so none always runs on a warmer or quieter machine.
        const order = targets.map((_, i) => targets[(i + round) % targets.length] as Target);
        const result: Partial<Round> = {};
        for (const target of order) result[target.name] = await load(target, endpoint, SECONDS);
        runs[endpoint].push(result as Round);
        console.error(
          `round ${round + 1} ${endpoint}: ${targets
            .map((t) => {
              const r = result[t.name] as Run;
              return `${t.name} ${r.rps.toFixed(0)}/s ${r.cpuPerRequest.toFixed(2)} ms CPU`;
            })
            .join("; ")}`,
        );
      }
    }

    const lines = [
      `# npm run bench: the service vs the framework-free reference Worker`,
      "",
      `${new Date().toISOString()}; wrangler dev (local D1), ${CONNECTIONS} connections, ${ALTERNATIONS} alternations of ${SECONDS} s runs per Worker and endpoint; medians of the per-alternation ratios (service / baseline), absolute medians beside.`,
      "",
      "Baselines: `reference` is the framework-free Worker of the performance bars (no log line); `reference-log` is the same Worker writing the service's one request line per request; `reference-session` is `reference-log` also running each request on a D1 session and answering its sealed bookmark, as the service's read replication does.",
      "",
      "| endpoint | baseline | throughput ratio | p50 ratio | p99 ratio | workerd CPU/request ratio | service req/s | baseline req/s | service p50 / p99 ms | baseline p50 / p99 ms | service CPU ms/req | baseline CPU ms/req |",
      "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ];
    for (const endpoint of endpoints) {
      const rs = runs[endpoint];
      for (const baseline of ["reference", "reference-log", "reference-session"] as const) {
        const ratio = (f: (r: Run) => number) =>
          median(rs.map((x) => f(x.service) / f(x[baseline]))).toFixed(2);
        const abs = (who: Target["name"], f: (r: Run) => number, digits = 1) =>
          median(rs.map((x) => f(x[who]))).toFixed(digits);
        lines.push(
          `| ${endpoint} | ${baseline} | ${ratio((r) => r.rps)}x | ${ratio((r) => r.p50)}x | ${ratio((r) => r.p99)}x | ${ratio((r) => r.cpuPerRequest)}x | ${abs("service", (r) => r.rps, 0)} | ${abs(baseline, (r) => r.rps, 0)} | ${abs("service", (r) => r.p50)} / ${abs("service", (r) => r.p99)} | ${abs(baseline, (r) => r.p50)} / ${abs(baseline, (r) => r.p99)} | ${abs("service", (r) => r.cpuPerRequest, 2)} | ${abs(baseline, (r) => r.cpuPerRequest, 2)} |`,
        );
      }
    }
    const table = `${lines.join("\n")}\n`;
    console.log(table);
    const out = path.join(ROOT, "bench", "results.md");
    writeFileSync(out, table);
    console.error(`written to ${path.relative(ROOT, out)}`);
  } finally {
    stop();
    rmSync(BENCH_CONFIG, { force: true });
    agent.destroy();
    for (const t of targets) if (existsSync(`${t.state}.vars`)) rmSync(`${t.state}.vars`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
