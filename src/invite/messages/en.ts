import type { FailureReason } from "../../invitations/lifecycle";

/**
 * The invite page's English strings: the reference table. Spanish and Portuguese must have the
 * same keys (the type checks it). `{name}` placeholders are filled on the server, or by the page
 * script for the `script` strings, which are rendered into the page as data.
 */
export const en = {
  page: {
    titleWhatsapp: "Connect WhatsApp Business",
    titleMessenger: "Connect a Facebook Page",
    invites: "{project} invites {client} to connect {channel}",
    invitesYou: "{project} invites you to connect {channel}",
    channelWhatsapp: "WhatsApp Business",
    channelMessenger: "a Facebook Page (Messenger)",
    expires: "This link expires on {date}.",
    assignedNumber: "The number to connect: {number}.",
    allowedCountries: "Numbers from these countries are accepted: {countries}.",
    explainWhatsapp:
      "Meta opens a window where you sign in with Facebook and choose, or create, your WhatsApp Business account and number.",
    explainMessenger:
      "Meta opens a window where you sign in with Facebook and allow access to the Page to connect.",
    actionWhatsapp: "Connect WhatsApp",
    actionMessenger: "Connect Facebook Page",
    unavailable:
      "Connecting accounts is not available on this service yet. Please tell the sender of this link.",
    resume: "A connection was started from this link and not finished. You can continue it.",
    failedHeading: "The connection did not work",
    noscript: "This page needs JavaScript to connect your account.",
    testHeading: "Test mode",
    testNotice: "Test mode: nothing is sent to Meta, and no Meta account is needed.",
    testExplain: "Choose the outcome to simulate. It goes through the same steps as a real connection.",
  },
  // The test-mode panel's buttons keep these exact English names in every language: the issue
  // fixes them, and partners' automated tests find them by name whatever the browser's language.
  // They are for developers, never shown on a live invitation.
  simulate: {
    success: "Simulate success",
    cancel: "Simulate cancel",
    error: "Simulate error",
    unverified: "Simulate unverified number",
    noNumber: "Simulate no number",
  } as const,
  // The number step after Meta's window (Embedded Signup v4): add a number, verify it.
  number: {
    addHeading: "Add your WhatsApp number",
    addExplain:
      "Meta's window ended without a phone number. Add the number to use with WhatsApp; Meta then sends it a code to confirm it is yours.",
    countryCode: "Country code (digits, e.g. 34 for Spain)",
    phoneNumber: "Phone number, without the country code",
    displayName: "Display name (the name people see on WhatsApp)",
    addAction: "Add number",
    verifyHeading: "Verify your WhatsApp number",
    verifyExplain: "Meta needs to confirm that the number is yours. Choose how to receive a 6-digit code.",
    methodLegend: "Receive the code by",
    methodSms: "Text message (SMS)",
    methodVoice: "Voice call",
    sendAction: "Send code",
    resendAction: "Send a new code",
    codeLabel: "6-digit code",
    verifyAction: "Verify",
    codeSent: "The code is on its way. Type it below when it arrives.",
    working: "Please wait…",
    testCode: "Test mode: the code is 123456; any other code is refused.",
    missingFields: "Fill in every field.",
    problem_code_incorrect: "That code is not right. Check it and try again.",
    problem_code_request_limited:
      "Meta is not sending more codes to this number for now. Try again in {time}.",
    problem_code_resend_wait: "A code was just sent. You can ask for a new one in {time}.",
    problem_code_guess_limited: "Too many wrong codes. Ask for a new code.",
    problem_retry_later: "Meta asked us to wait. Try again in {time}.",
    problem_number_invalid: "Meta did not accept this number. Check the country code and the number.",
    problem_number_rejected: "Meta refused this number. Check it, or use another number.",
    problem_phone_country_not_allowed: "This invitation does not accept numbers from that country.",
    problem_phone_number_mismatch: "This invitation is for another number.",
    problem_meta_rate_limited: "Meta is receiving too many requests. Try again in {time}.",
    problem_meta_unavailable: "Meta did not answer. Try again in {time}.",
  },
  gone: {
    title: "Invitation no longer available",
    heading: "This link no longer works",
    cancelled: "This invitation was cancelled by the sender. Ask them for a new link.",
    expired: "This invitation has expired. Ask the sender for a new link.",
    completed: "This invitation has already been used: the account is connected.",
  },
  notFound: {
    title: "Invitation not found",
    heading: "Invitation not found",
    text: "Check the link you were sent.",
  },
  // The page script's strings, rendered into the page with its data.
  script: {
    loading: "Loading Meta's sign-in…",
    sdkFailed:
      "Meta's sign-in could not be loaded. Check your connection or content blockers, then reload this page.",
    opening: "Follow the steps in Meta's window.",
    starting: "Starting…",
    finishing: "Connecting your account…",
    connectedHeading: "Connected",
    connectedWhatsapp: "The WhatsApp number {name} is now connected to {project}. You can close this page.",
    connectedMessenger: "The Facebook Page {name} is now connected to {project}. You can close this page.",
    pickLegend: "Choose the Page to connect",
    pickAction: "Connect this Page",
    pickNone: "Choose a Page first.",
    retryHint: "You can try again.",
    errorNetwork: "The server could not be reached. Check your connection and try again.",
    errorBusy:
      "Connecting was started from this link in another browser or tab a moment ago. Finish it there, or try again in a few minutes.",
    errorOtherBrowser:
      "This connection was started in another browser or tab. Press the button to start again.",
    errorTooMany: "Too many attempts with this link. Try again later, or ask the sender for help.",
    errorRateLimited: "Too many attempts. Wait a minute, then try again.",
    errorGone: "This link no longer works. Reload the page to see why.",
    errorNotFound: "This invitation does not exist.",
    errorUnexpected: "Something went wrong. Try again.",
  },
  // The steps, the partner's links and the way back to the partner (src/invite/page/journey.ts).
  journey: {
    stepsLabel: "Steps",
    stepOpen: "Open Meta",
    stepConnect: "Connect your account",
    stepDone: "Done",
    returnTo: "Continue to {project}",
    returning: "Taking you back to {project} in {seconds} s.",
    stay: "Stay on this page",
    backTo: "Back to {project}",
    continueAnon: "Continue",
    returningAnon: "Taking you back in {seconds} s.",
    linksLabel: "Help and policies",
    help: "Help",
    contact: "Contact support",
    privacy: "Privacy policy",
    terms: "Terms",
  },
  // The full-page redirect to Meta's dialog: the page's strings and the callback's refusals.
  redirect: {
    redirecting: "Taking you to Meta to connect, in this window…",
    chooseLegend: "Which number do you want to connect?",
    chooseCloudApi: "A new number, for the WhatsApp Business Platform",
    chooseBusinessApp: "The number I already use in the WhatsApp Business app",
    callbackTitle: "Connection not continued",
    callbackHeading: "This sign-in cannot continue",
    invalid:
      "The answer from Meta could not be verified, so nothing was changed. Open the invitation link you were sent and try again.",
    expired:
      "The sign-in took too long and expired, so nothing was changed. Open the invitation link you were sent and try again.",
    used: "This sign-in was already used, so nothing was changed. Open the invitation link you were sent to see where it stands.",
    otherBrowser:
      "This sign-in was started in another browser, so nothing was changed. Open the invitation link in the browser where you started.",
    stale:
      "A newer connection was started from this link, or it is closed, so nothing was changed. Open the invitation link you were sent to see where it stands.",
  },
  // Why an attempt failed, in plain words, one per `failureReason` code.
  reasons: {
    fb_cancelled: "Meta's window was closed before the connection was finished.",
    fb_not_authorized: "The permissions Meta asked for were not granted, so the account cannot be connected.",
    signup_abandoned: "Meta's window closed before the connection was finished.",
    meta_no_pages:
      "Your Facebook account does not manage any Page. Create a Page, or ask its admin for access, then try again.",
    internal_error: "Meta reported an error during the sign-up, or something went wrong on our side.",
    phone_country_not_allowed: "The number you chose is from a country this invitation does not accept.",
    phone_number_mismatch: "The number you chose is not the number this invitation is for.",
    phone_number_type_not_allowed:
      "This invitation does not accept that kind of number (a number on the WhatsApp Business app, or a new one). Try again with the other kind.",
    meta_code_used: "Meta's sign-in had already been used. Start again.",
    meta_code_expired: "Meta's sign-in took too long and expired. Start again.",
    meta_code_invalid: "Meta did not accept the sign-in. Start again.",
    meta_permission_missing:
      "Access to a WhatsApp Business account, or another permission, was not granted. Start again and allow it.",
    meta_token_invalid: "Meta's access expired or was revoked. Start again.",
    meta_waba_ambiguous:
      "You gave access to several WhatsApp Business accounts. Try again and choose one in Meta's window.",
    meta_no_phone_number: "The WhatsApp Business account has no phone number. Add one in Meta's window.",
    meta_register_limit:
      "Meta blocked new registrations of this number for 72 hours, after too many attempts. Try again later.",
    meta_register_failed: "Meta could not register the number for sending messages.",
    meta_rate_limited: "Meta is receiving too many requests. Wait a few minutes, then try again.",
    meta_unavailable: "Meta did not answer in time. Try again in a moment.",
    meta_error: "Meta reported an error. Try again.",
    number_not_verified:
      "The number was not verified in time: no code was confirmed within 24 hours. Start again to verify it.",
    number_not_added: "No phone number was added in time. Start again to add one.",
  } satisfies Record<FailureReason, string>,
};

/** Shape of every language's table: the same keys as English, each a string. */
export type Messages = {
  [Section in Exclude<keyof typeof en, "simulate">]: { [Key in keyof (typeof en)[Section]]: string };
} & { simulate: typeof en.simulate };
