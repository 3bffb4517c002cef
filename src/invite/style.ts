/**
 * The invite pages' stylesheet, served as a static asset at INVITE_STYLE_PATH
 * (scripts/docs-assets.ts writes it into public/, wrangler.toml [assets]) and linked by every
 * page with `<link rel="stylesheet" nonce>`: the CSP's style nonce authorizes it as it did the
 * inline `<style>`, and it costs the Worker bundle (the cold start) nothing.
 */

/** Where the stylesheet is served: beside the page script, out of /invite/ and /v1/ (script.ts). */
export const INVITE_STYLE_PATH = "/invite-assets/page.css";

// Colours meet WCAG AA contrast on white; every focusable thing shows a 3 px outline.
export const INVITE_STYLE = `
body{font:1rem/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#1f2328;background:#fff}
h1{font-size:1.5rem;line-height:1.3}h2{font-size:1.2rem}
.muted{color:#57606a}.error{color:#a40e26}.note{border-left:4px solid #9a6700;padding-left:.75rem}
button{font:inherit;min-height:2.75rem;padding:.6rem 1.2rem;border-radius:.4rem;border:2px solid #0b57d0;background:#0b57d0;color:#fff;cursor:pointer}
button:disabled{background:#eaeef2;border-color:#8c959f;color:#424a53;cursor:not-allowed}
:focus-visible{outline:3px solid #953800;outline-offset:3px}
#test-panel{border:2px dashed #8c959f;border-radius:.4rem;padding:0 1rem 1rem;margin-top:1rem}
#test-panel button{background:#fff;color:#0b57d0;margin:.25rem .5rem .25rem 0}
fieldset{border:1px solid #8c959f;border-radius:.4rem;margin:1rem 0}.choice{padding:.3rem 0}.choice input{margin:0 .6rem 0 0}
[hidden]{display:none!important}
.sr-only{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
`;
