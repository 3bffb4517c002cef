// `z.iso` of build/zod.js: the ISO formats src/ uses (`z.iso.datetime()`), not the whole module.
export { datetime } from "../node_modules/zod/v4/classic/iso.js";
