/** What the static Worker is given: its files (wrangler.static.toml `[assets] binding`). */
interface StaticEnv {
  ASSETS: Fetcher;
}

/**
 * The static Worker's script (wrangler.static.toml), which the API Worker reaches through its
 * STATIC binding. A request for one of its files is answered by Cloudflare's asset handling
 * before this runs; whatever reaches the script is answered from the same files, so the result
 * does not depend on whether a service-binding call went through that routing. A path with no
 * file is the asset handling's 404, which the API Worker turns into its own (static.route.ts).
 */
export default {
  fetch(request, env) {
    return env.ASSETS.fetch(request);
  },
} satisfies ExportedHandler<StaticEnv>;
