/**
 * The invite page's number step (bundled into page.js with page.ts): after Meta's window closed
 * with a number Meta has not verified, or with none (Embedded Signup v4), the attempt waits
 * (`onboardingStep`) and this part of the page moves it on through the flow endpoints:
 * - adding_number: country code, number and display name -> `add-number`, then verifying;
 * - verifying_number: SMS or voice call -> `request-code`; the 6-digit code -> `verify-code`,
 *   which registers the number and completes (or fails) the invitation.
 * A refusal the client can mend comes back as `problem` (a wrong code, a limit with the time to
 * wait): it is said in words, the form stays, nothing is a dead end.
 */

import { el } from "./dom";

interface StepInvitation {
  status?: string;
  onboardingStep?: string | null;
}

export interface StepReply {
  invitation?: StepInvitation;
  problem?: { code: string; retryAfter: number | null } | null;
}

/** What the page lends the step (page.ts). */
export interface StepContext {
  post(step: string, body: unknown): Promise<StepReply>;
  /** The page's handling of a view that left the step (completed, failed). */
  show(view: StepReply): void;
  /** The page's handling of a failed call (network, 401, 410). */
  fail(error: unknown): void;
  say(text: string, shown?: boolean): void;
  area: HTMLElement;
  text: Record<string, string>;
  test: boolean;
  language: string;
}

/** "5 minutes", "30 seconds", in the page's language. */
function duration(language: string, seconds: number): string {
  const [value, unit] = seconds < 90 ? [seconds, "second"] : [Math.ceil(seconds / 60), "minute"];
  try {
    return new Intl.NumberFormat(language, { style: "unit", unit, unitDisplay: "long" }).format(value);
  } catch {
    return `${value} ${unit}s`;
  }
}

function field(id: string, label: string, props: Partial<HTMLInputElement>) {
  const input = el("input", { id, name: id, type: "text", required: true, ...props });
  return {
    input,
    box: el("div", { className: "field" }, el("label", { htmlFor: id, textContent: label }), input),
  };
}

/** Renders `step` into the page's area, and drives it until the attempt leaves it. */
export function numberStep(ctx: StepContext, step: string): void {
  const T = ctx.text;
  const t = (key: string) => T[key] ?? key;
  const error = el("p", { className: "error", id: "number-error" });
  const heading = el("h2", { id: "number-heading", tabIndex: -1 });
  const section = el("section", { id: "number-step" });
  section.setAttribute("aria-labelledby", "number-heading");
  section.dataset.step = step;

  const problem = (p: NonNullable<StepReply["problem"]>) => {
    const text = (T[`problem_${p.code}`] ?? t("problem_meta_unavailable")).replace(
      "{time}",
      duration(ctx.language, p.retryAfter ?? 0),
    );
    error.textContent = text;
    ctx.say(text, false);
  };
  /** Sends one call; answers true when the step stays as it is (a problem was shown). */
  const send = async (call: string, body: unknown, controls: { disabled: boolean }[]) => {
    for (const c of controls) c.disabled = true;
    error.textContent = "";
    ctx.say(t("working"));
    try {
      const reply = await ctx.post(call, body);
      const inv = reply.invitation ?? {};
      if (inv.status !== "in_progress") {
        ctx.show(reply);
        return false;
      }
      if (reply.problem) {
        problem(reply.problem);
        return true;
      }
      if (inv.onboardingStep && inv.onboardingStep !== step) {
        numberStep(ctx, inv.onboardingStep);
        return false;
      }
      ctx.say("", false);
      return true;
    } catch (e) {
      ctx.fail(e);
      return false;
    } finally {
      for (const c of controls) c.disabled = false;
    }
  };

  if (step === "adding_number") {
    heading.textContent = t("addHeading");
    const cc = field("number-cc", t("countryCode"), {
      inputMode: "numeric",
      autocomplete: "tel-country-code",
      maxLength: 4,
    });
    const phone = field("number-phone", t("phoneNumber"), {
      type: "tel",
      autocomplete: "tel-national",
      maxLength: 20,
    });
    const name = field("number-name", t("displayName"), { autocomplete: "organization", maxLength: 100 });
    const submit = el("button", { type: "submit", textContent: t("addAction") });
    const form = el("form", { noValidate: true }, cc.box, phone.box, name.box, submit);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (submit.disabled) return;
      const countryCode = cc.input.value.replace(/\D/g, "");
      const phoneNumber = phone.input.value.replace(/\D/g, "");
      const displayName = name.input.value.trim();
      if (!countryCode || !phoneNumber || displayName.length < 3) {
        error.textContent = t("missingFields");
        ctx.say(t("missingFields"), false);
        return;
      }
      void send("add-number", { countryCode, phoneNumber, displayName }, [submit]);
    });
    section.append(heading, el("p", { textContent: t("addExplain") }), form, error);
  } else {
    heading.textContent = t("verifyHeading");
    const methods = el("fieldset", {}, el("legend", { textContent: t("methodLegend") }));
    for (const [value, label] of [
      ["SMS", t("methodSms")],
      ["VOICE", t("methodVoice")],
    ] as const) {
      const input = el("input", {
        type: "radio",
        name: "code-method",
        value,
        id: `code-method-${value.toLowerCase()}`,
        checked: value === "SMS",
      });
      methods.append(
        el("div", { className: "choice" }, input, el("label", { htmlFor: input.id, textContent: label })),
      );
    }
    const request = el("button", { type: "button", id: "send-code", textContent: t("sendAction") });
    const code = field("number-code", t("codeLabel"), {
      inputMode: "numeric",
      autocomplete: "one-time-code",
      maxLength: 6,
    });
    const verify = el("button", { type: "submit", textContent: t("verifyAction") });
    const form = el("form", { id: "verify-form", noValidate: true, hidden: true }, code.box, verify);
    request.addEventListener("click", async () => {
      if (request.disabled) return;
      const method = methods.querySelector<HTMLInputElement>("input:checked")?.value ?? "SMS";
      const stays = await send("request-code", { method, language: ctx.language }, [request]);
      if (stays && !error.textContent) {
        form.hidden = false;
        request.textContent = t("resendAction");
        ctx.say(t("codeSent"));
        code.input.focus();
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (verify.disabled) return;
      const value = code.input.value.replace(/\D/g, "");
      if (!/^\d{6}$/.test(value)) {
        problem({ code: "code_incorrect", retryAfter: null });
        return;
      }
      const stays = await send("verify-code", { code: value }, [verify]);
      if (stays) code.input.select();
    });
    section.append(heading, el("p", { textContent: t("verifyExplain") }));
    if (ctx.test) section.append(el("p", { className: "note", textContent: t("testCode") }));
    section.append(methods, request, form, error);
  }
  ctx.area.replaceChildren(section);
  ctx.say(heading.textContent ?? "", false);
  heading.focus();
}
