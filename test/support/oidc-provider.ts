// A real OpenID Connect provider for the tests (panva's oidc-provider, in-process on a port of its
// own): a confidential client for the inbox's code flow, one for an agent's workload identity
// (client credentials), JWT access tokens for the gate's API audience, and a few accounts.
import type { Server } from 'node:http';
import Provider from 'oidc-provider';
import { freePort } from '../../tools/stack/ports';

export const OIDC_AUDIENCE = 'https://gate.test/v1';
export const INBOX_CLIENT = { id: 'gate-inbox', secret: 'gate-inbox-client-secret-0123456789' };
export const WORKLOAD_CLIENT = { id: 'billing-agent-workload', secret: 'billing-agent-workload-secret-0123' };

/** Accounts by login: the subject is the login; some have a verified e-mail; each has groups at the IdP. */
const ACCOUNTS: Record<string, { email?: string; groups: string[] }> = {
  'alice-sub': { groups: ['idp-dba', 'idp-everyone'] },
  // Bob left the DBA team at the IdP; the gate's principal file still lists him in dba.
  'bob-sub': { email: 'bob@corp.example', groups: ['idp-support', 'idp-everyone'] },
  // In no principal file: admitted only from IdP groups, when the gate is configured so.
  'stranger-sub': { email: 'stranger@corp.example', groups: ['idp-dba', 'idp-everyone'] },
  'visitor-sub': { email: 'visitor@corp.example', groups: ['idp-everyone'] },
};

/** The claim the test IdP lists groups in, and the scope that asks for it. */
export const GROUPS_CLAIM = 'groups';

export interface TestIdp {
  issuer: string;
  /** An access token (JWT, audience OIDC_AUDIENCE) for the workload client: client credentials. */
  workloadToken(): Promise<string>;
  close(): Promise<void>;
}

export async function startOidcProvider(redirectUri: string): Promise<TestIdp> {
  // The issuer carries the port, so take one first.
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: INBOX_CLIENT.id,
        client_secret: INBOX_CLIENT.secret,
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
      {
        client_id: WORKLOAD_CLIENT.id,
        client_secret: WORKLOAD_CLIENT.secret,
        redirect_uris: [],
        grant_types: ['client_credentials'],
        response_types: [],
      },
    ],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], groups: [GROUPS_CLAIM] },
    findAccount: async (_context: unknown, sub: string) =>
      ACCOUNTS[sub]
        ? {
            accountId: sub,
            claims: async () => ({
              sub,
              ...(ACCOUNTS[sub]!.email && { email: ACCOUNTS[sub]!.email, email_verified: true }),
              [GROUPS_CLAIM]: ACCOUNTS[sub]!.groups,
            }),
          }
        : undefined,
    features: {
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => OIDC_AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'gate', audience: OIDC_AUDIENCE, accessTokenFormat: 'jwt' }),
      },
    },
  });
  const server: Server = provider.listen(port);
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    issuer,
    async workloadToken() {
      const answer = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${WORKLOAD_CLIENT.id}:${WORKLOAD_CLIENT.secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'gate', resource: OIDC_AUDIENCE }),
      });
      const body = (await answer.json()) as { access_token?: string; error_description?: string };
      if (!body.access_token) throw new Error(`no access token: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
