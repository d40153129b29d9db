// The demo's requests over real HTTP, as a user of `npm start` or `npm run start:cluster` sends
// them (the banner's curl lines): a write that waits for a dba, its approval, and long polls.
import assert from 'node:assert/strict';

export interface RequestState {
  status: string;
  result?: { rowCount: number };
}

const FINAL = ['succeeded', 'failed', 'outcome_unknown', 'rejected', 'expired', 'denied', 'cancelled'];

const json = (bearer: string) => ({ authorization: `Bearer ${bearer}`, 'content-type': 'application/json' });

/** Submits the banner's write to `api` as the agent with `token`; returns the request id. */
export async function submitDemoWrite(api: string, token: string): Promise<string> {
  const submitted = await fetch(`${api}/v1/requests`, {
    method: 'POST',
    headers: json(token),
    body: JSON.stringify({
      connector: 'postgres',
      target: 'app-db',
      command: { sql: "UPDATE customers SET plan = 'pro' WHERE id = 2" },
      reason: 'upgrade',
    }),
  });
  assert.equal(submitted.status, 202, await submitted.clone().text());
  return ((await submitted.json()) as { id: string }).id;
}

/**
 * Long-polls `api` until the request has its policy verdict (`evaluated`) or a final status
 * (`final`): up to `polls` polls of `waitSeconds` each, generous for a shared 2-core machine.
 */
export async function pollUntil(
  api: string,
  token: string,
  id: string,
  until: 'evaluated' | 'final',
  { polls = 30, waitSeconds = 5 } = {},
): Promise<RequestState> {
  const query = until === 'evaluated' ? `wait=${waitSeconds}&until=evaluated` : `wait=${waitSeconds}`;
  let state: RequestState = { status: 'unread' };
  for (let poll = 0; poll < polls; poll++) {
    const response = await fetch(`${api}/v1/requests/${id}?${query}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    state = (await response.json()) as RequestState;
    if (until === 'evaluated' ? state.status !== 'evaluating' : FINAL.includes(state.status)) break;
  }
  return state;
}

/** Approves through `api` as the reviewer with `token`; asserts the vote was taken. */
export async function approveOver(api: string, token: string, id: string, comment: string): Promise<void> {
  const approved = await fetch(`${api}/v1/requests/${id}/approve`, {
    method: 'POST',
    headers: json(token),
    body: JSON.stringify({ comment }),
  });
  assert.equal(approved.status, 200, await approved.text());
}
