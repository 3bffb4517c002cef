/**
 * The script of the page an invitation already used shows (410) when its partner gave a
 * success return URL: the countdown to it (journey.ts). Built into return.js.
 */
import type { ReturnPageData } from "./data";
import { armReturn } from "./journey";

const link = document.getElementById("return-link") as HTMLAnchorElement | null;
const block = document.getElementById("return-data");
if (link?.parentElement && block) {
  const data = JSON.parse(block.textContent ?? "") as ReturnPageData;
  armReturn(link.parentElement, link, data.text.returning, data.text.stay, data.project);
}
