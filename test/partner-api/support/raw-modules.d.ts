// Vite's `?raw` suffix imports a file's text (used for wrangler.toml and the contract fixtures).
declare module "*?raw" {
  const content: string;
  export default content;
}
