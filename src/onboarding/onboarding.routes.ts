import { createRoute } from "@hono/zod-openapi";
import { ErrorSchema, errorResponses, jsonBody, jsonResponse } from "../lib/openapi";
import {
  AddNumberRequestSchema,
  AttemptSecretHeaders,
  CompleteRequestSchema,
  FailRequestSchema,
  InviteTokenParam,
  InviteViewSchema,
  NumberReplySchema,
  PagesRequestSchema,
  PagesResponseSchema,
  RequestCodeRequestSchema,
  StartRequestSchema,
  StartResponseSchema,
  VerifyCodeRequestSchema,
} from "./onboarding.schemas";

const tags = ["Invite link (client)"];
// The token in the path is the only credential: no API key.
const security: Record<string, string[]>[] = [];

const errors = {
  400: {
    description:
      "Invalid body (code `invalid_request`, `details.fields`), or a step the invitation's state does not allow (code `invalid_state`, `details.status`), or live onboarding on a deployed Worker without a Meta app (code `invalid_state`, `details.reason` `meta_not_configured`).",
    content: { "application/json": { schema: ErrorSchema } },
  },
  401: {
    description:
      "`pages`, `complete`, `fail`: no `X-Attempt-Secret`, or not the current attempt's (code `unauthorized`, `details.header`). Nothing changed.",
    content: { "application/json": { schema: ErrorSchema } },
  },
  404: {
    description: "No invitation for this token (code `not_found`).",
    content: { "application/json": { schema: ErrorSchema } },
  },
  410: {
    description:
      "The invitation was cancelled, has expired, or was completed (code `gone`, `details.status`).",
    content: { "application/json": { schema: ErrorSchema } },
  },
  413: errorResponses[413],
  415: errorResponses[415],
  429: {
    description:
      "Too many requests from this address, or (`start`) 20 attempts on this invitation in 24 hours (code `rate_limited`); see `Retry-After`.",
    content: { "application/json": { schema: ErrorSchema } },
  },
} as const;

export const startRoute = createRoute({
  method: "post",
  path: "/invite/{token}/start",
  operationId: "startInvite",
  summary: "Start connecting",
  description:
    "The client pressed Connect: a `pending` or `failed` invitation becomes `in_progress` (a new attempt, also the retry after a failure), and the answer's `attemptSecret` is the attempt's credential. A running attempt is given up (`failed`, `signup_abandoned`) and replaced when the call sends its `X-Attempt-Secret` (a reload) or when it is at least 2 minutes old; a younger one is refused (400 `invalid_state`, `details.reason` `attempt_running`, `Retry-After`). At most 20 attempts per invitation in 24 hours (then 429 with `Retry-After`).",
  tags,
  security,
  request: {
    params: InviteTokenParam,
    headers: AttemptSecretHeaders,
    body: { ...jsonBody(StartRequestSchema), required: false },
  },
  responses: {
    200: jsonResponse(StartResponseSchema, "The invitation, `in_progress`, and the attempt's secret."),
    ...errors,
  },
});

export const completeRoute = createRoute({
  method: "post",
  path: "/invite/{token}/complete",
  operationId: "completeInvite",
  summary: "Connect the account",
  description:
    "WhatsApp: exchanges Meta's code and connects the number (subscribe, register, sender). Messenger: connects the chosen Page (after `pages`). Answers 200 whether it connected (`completed`) or not (`failed` with `failureReason`). Safe to repeat: a repeated or concurrent call answers the first call's outcome, also once completed; the code is exchanged once.",
  tags,
  security,
  request: { params: InviteTokenParam, headers: AttemptSecretHeaders, body: jsonBody(CompleteRequestSchema) },
  responses: { 200: jsonResponse(InviteViewSchema, "The invitation, `completed` or `failed`."), ...errors },
});

export const pagesRoute = createRoute({
  method: "post",
  path: "/invite/{token}/pages",
  operationId: "listInvitePages",
  summary: "Exchange the code and list the client's Pages (Messenger)",
  description:
    "Exchanges Meta's code and answers the Facebook Pages the client administers; Page tokens stay on the server. No Page: the invitation is `failed` with `meta_no_pages` (and `pages` is empty). Safe to repeat.",
  tags,
  security,
  request: { params: InviteTokenParam, headers: AttemptSecretHeaders, body: jsonBody(PagesRequestSchema) },
  responses: { 200: jsonResponse(PagesResponseSchema, "The Pages, and the invitation."), ...errors },
});

export const failRoute = createRoute({
  method: "post",
  path: "/invite/{token}/fail",
  operationId: "failInvite",
  summary: "Report a failed attempt",
  description:
    "The page reports how Meta's dialog ended without a connection: `fb_cancelled`, `signup_abandoned`, `fb_not_authorized` or `internal_error`. The invitation becomes `failed` and can be retried with `start`.",
  tags,
  security,
  request: { params: InviteTokenParam, headers: AttemptSecretHeaders, body: jsonBody(FailRequestSchema) },
  responses: { 200: jsonResponse(InviteViewSchema, "The invitation, `failed`."), ...errors },
});

const numberStepNote =
  "Part of the number step (Embedded Signup v4: Meta's window ended with a number not verified, or with none; the invitation is `in_progress` with `onboardingStep`). Needs the attempt's `X-Attempt-Secret`. A refusal the client can mend (a wrong code, a limit to wait out, a number Meta does not take) answers 200 with `problem` (`code`, `retryAfter` seconds) and changes nothing else; one no retry can mend (token, permission) fails the attempt. Outside the step: 400 `invalid_state` (`details.reason` `not_in_step`).";

export const addNumberRoute = createRoute({
  method: "post",
  path: "/invite/{token}/add-number",
  operationId: "addInviteNumber",
  summary: "Add a phone number to the client's WhatsApp Business account",
  description: `\`onboardingStep\` \`adding_number\`: adds the number to the WABA (Graph \`POST /<waba>/phone_numbers\`), after the invitation's checks (allowed countries, pre-assigned number); the step becomes \`verifying_number\`. ${numberStepNote}`,
  tags,
  security,
  request: {
    params: InviteTokenParam,
    headers: AttemptSecretHeaders,
    body: jsonBody(AddNumberRequestSchema),
  },
  responses: { 200: jsonResponse(NumberReplySchema, "The invitation, and a problem or null."), ...errors },
});

export const requestCodeRoute = createRoute({
  method: "post",
  path: "/invite/{token}/request-code",
  operationId: "requestInviteCode",
  summary: "Send the number's verification code",
  description: `\`onboardingStep\` \`verifying_number\`: Meta sends the code by SMS or voice call (Graph \`POST /<number>/request_code\`), at most once a minute. ${numberStepNote}`,
  tags,
  security,
  request: {
    params: InviteTokenParam,
    headers: AttemptSecretHeaders,
    body: jsonBody(RequestCodeRequestSchema),
  },
  responses: { 200: jsonResponse(NumberReplySchema, "The invitation, and a problem or null."), ...errors },
});

export const verifyCodeRoute = createRoute({
  method: "post",
  path: "/invite/{token}/verify-code",
  operationId: "verifyInviteCode",
  summary: "Verify the number with its code, then connect it",
  description: `\`onboardingStep\` \`verifying_number\`: checks the code (Graph \`POST /<number>/verify_code\`); a right code registers the number and completes the invitation (\`completed\`, or \`failed\` if the registration fails). A wrong code is \`problem.code\` \`code_incorrect\`; after 5 wrong codes a new one must be requested. ${numberStepNote}`,
  tags,
  security,
  request: {
    params: InviteTokenParam,
    headers: AttemptSecretHeaders,
    body: jsonBody(VerifyCodeRequestSchema),
  },
  responses: { 200: jsonResponse(NumberReplySchema, "The invitation, and a problem or null."), ...errors },
});
