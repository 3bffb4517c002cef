/**
 * The page's journey: the steps (open Meta, connect, done) and where the client is, the outcome's
 * look (success or failure), and the way back to the partner. Bundled into page.js from page.ts,
 * and into return.js for the page of an invitation already used (return-page.ts).
 *
 * After a success with a return URL: a link at once, and RETURN_SECONDS later the page goes there
 * itself, unless the client chose to stay (WCAG 2.2.1: a time limit can be turned off). After a
 * failure: a link only, beside the retry. The URLs come from the server (the view's
 * `returnUrl`): never the token. The page's Referrer-Policy is no-referrer and the links say
 * rel="noreferrer", so the partner's site does not get the link's URL either.
 */

import type { JourneyText } from "./data";
import { fill } from "./dom";

/** Seconds from the outcome showing to the automatic return (the window is 3 to 10). */
export const RETURN_SECONDS = 5;

const STEP_OF: Record<string, number> = { pending: 0, failed: 0, in_progress: 1, completed: 2 };

let timer: ReturnType<typeof setInterval> | undefined;

/** Marks the step the client is at (`aria-current="step"`), those before it done. */
export function markStep(status: string): void {
  const at = STEP_OF[status] ?? 0;
  const done = status === "completed";
  document.querySelectorAll<HTMLElement>("#steps [data-step]").forEach((li, i) => {
    li.dataset.state = i < at || done ? "done" : i === at ? "current" : "todo";
    if (i === at) li.setAttribute("aria-current", "step");
    else li.removeAttribute("aria-current");
  });
}

/** Stops a pending automatic return. */
export function stopReturn(): void {
  if (timer !== undefined) clearInterval(timer);
  timer = undefined;
}

/**
 * The outcome box's look (`data-state`), and its return link when the partner gave one. A new
 * attempt (`state` null) clears both.
 */
export function showOutcome(
  box: HTMLElement,
  state: "success" | "failure" | null,
  returnUrl: string | null | undefined,
  text: JourneyText,
  project: string,
): void {
  stopReturn();
  if (state === null) {
    delete box.dataset.state;
    return;
  }
  box.dataset.state = state;
  if (!returnUrl) return;
  const link = Object.assign(document.createElement("a"), {
    href: returnUrl,
    rel: "noreferrer",
    id: "return-link",
    className: state === "success" ? "return-link primary" : "return-link",
    textContent: fill(state === "success" ? text.returnTo : text.backTo, { project }),
  });
  const p = Object.assign(document.createElement("p"), { className: "return" });
  p.append(link);
  box.append(p);
  if (state === "success") armReturn(p, link, text.returning, text.stay, project);
}

/**
 * The countdown under the link, a button to stay, and the return itself when it ends. The
 * countdown is not a live region: the outcome's heading has been announced, and a number
 * announced every second would drown it.
 */
export function armReturn(
  after: HTMLElement,
  link: HTMLAnchorElement,
  returning: string,
  stayText: string,
  project: string,
): void {
  stopReturn();
  let left = RETURN_SECONDS;
  const note = Object.assign(document.createElement("p"), { className: "countdown", id: "return-countdown" });
  const stay = Object.assign(document.createElement("button"), {
    type: "button",
    className: "secondary",
    id: "return-stay",
    textContent: stayText,
  });
  const tick = () => {
    note.textContent = fill(returning, { project, seconds: String(left) });
  };
  tick();
  after.after(note, stay);
  timer = setInterval(() => {
    left -= 1;
    if (left > 0) return tick();
    stopReturn();
    location.assign(link.href);
  }, 1000);
  stay.addEventListener("click", () => {
    stopReturn();
    note.remove();
    stay.remove();
    link.focus();
  });
}
