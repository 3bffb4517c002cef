/** The partner's side, over HTTP against the Worker under test. */
export interface Invitation {
  id: string;
  url: string;
  status: string;
  senderId: string | null;
  failureReason: string | null;
  /** While in_progress: the number step on the invite page (Embedded Signup v4), or null. */
  onboardingStep?: string | null;
  connectedAccount: { id: string; channel: string; name: string | null } | null;
  viewedAt: string | null;
  startedAt: string | null;
  completedAt: string | null;
  failedAt: string | null;
}

export function partnerApi(baseUrl: string, apiKey: string) {
  async function call(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${apiKey}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  }
  async function json<T>(res: Response, status: number): Promise<T> {
    const text = await res.text();
    if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }
  return {
    call,
    async create(body: Record<string, unknown> = {}): Promise<Invitation> {
      return (await json<{ invitation: Invitation }>(await call("POST", "/v1/invitations", body), 201))
        .invitation;
    },
    async invitation(id: string): Promise<Invitation> {
      return (await json<{ invitation: Invitation }>(await call("GET", `/v1/invitations/${id}`), 200))
        .invitation;
    },
    async sender(id: string): Promise<Record<string, unknown>> {
      return json<Record<string, unknown>>(await call("GET", `/v1/senders/${id}`), 200);
    },
  };
}
