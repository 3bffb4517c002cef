// Bundled in place of hono's `Hono` class (node_modules/hono/dist/hono.js; wrangler.toml [alias]
// on the import string of hono/dist/index.js, and vitest.config.ts). Hono's default router is a
// SmartRouter that carries two routers, RegExpRouter and TrieRouter, and keeps the first that
// can hold every route; this one routes with TrieRouter alone, which holds any route Hono
// accepts and matches them the same way (Hono runs one route-matching suite against both).
// What it saves: RegExpRouter and SmartRouter (~4.5 KiB minified), and the matcher RegExpRouter
// compiles on an isolate's first request, the cold start this Worker keeps small.
import { HonoBase } from "../node_modules/hono/dist/hono-base.js";
import { TrieRouter } from "../node_modules/hono/dist/router/trie-router/router.js";

export class Hono extends HonoBase {
  constructor(options = {}) {
    super(options);
    this.router = options.router ?? new TrieRouter();
  }
}
