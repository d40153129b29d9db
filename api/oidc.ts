// OpenID Connect: reviewers sign in to the inbox with the authorization code flow and PKCE
// (openid-client), and /v1 accepts the IdP's access tokens (JWTs verified against its JWKS with
// jose). Who the identity is at the gate, and with which groups, is sso-reviewer.ts's answer.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import type { Principal, PrincipalDirectory } from '../config/principals';
import { type IdpGroupSettings, type SsoIdentity, identifySsoUser } from './sso-reviewer';

export interface OidcSettings {
  issuer: string;
  clientId?: string;
  clientSecret?: string;
  /** Required of access tokens on /v1; without it /v1 takes static tokens only. */
  audience?: string;
  /** What the authorization request asks for (OIDC_SCOPES). */
  scopes: string;
  /** IdP groups mapped to the gate's (OIDC_GROUPS_CLAIM, OIDC_GROUP_MAP, OIDC_ADMIT_BY_GROUPS). */
  groups?: IdpGroupSettings;
}

/** What the authorization request left to check when the IdP sends the reviewer back. */
export interface OidcFlow {
  codeVerifier: string;
  state: string;
  nonce: string;
}

export interface Oidc {
  /** An IdP groups claim is mapped to the gate's groups (OIDC_GROUPS_CLAIM). */
  readonly mapsGroups: boolean;
  /** Identities in no principal are admitted by their mapped groups (OIDC_ADMIT_BY_GROUPS). */
  readonly admitsByGroups: boolean;
  /** Where to send the browser, and the checks to keep (in the flow cookie) until it returns. */
  signInUrl(redirectUri: string): Promise<{ url: URL; flow: OidcFlow }>;
  /** Completes the code flow; who signed in, or why not. */
  completeSignIn(currentUrl: URL, flow: OidcFlow): Promise<SsoIdentity | string>;
  /** The principal behind an access token, or undefined (not a valid token for this API). */
  principalOfAccessToken(token: string): Promise<Principal | undefined>;
}

export function createOidc(settings: OidcSettings, principals: PrincipalDirectory): Oidc {
  const issuer = new URL(settings.issuer);
  // http only for an issuer on this machine (tests, a local IdP); anything else must be https.
  const insecure = issuer.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
  let configuration: Promise<client.Configuration> | undefined;
  const discovered = () =>
    (configuration ??= client
      .discovery(issuer, settings.clientId ?? '', settings.clientSecret, undefined, {
        ...(insecure && { execute: [client.allowInsecureRequests] }),
      })
      .catch((error: unknown) => {
        configuration = undefined; // try discovery again next time
        throw error;
      }));
  let keys: ReturnType<typeof createRemoteJWKSet> | undefined;
  // An access token only identifies a principal of the file: the workers could not learn an admitted one's groups.
  const tokenGroups = settings.groups && { ...settings.groups, admitByGroups: false };

  return {
    mapsGroups: settings.groups !== undefined,
    admitsByGroups: settings.groups?.admitByGroups === true,
    async signInUrl(redirectUri) {
      const config = await discovered();
      const flow = {
        codeVerifier: client.randomPKCECodeVerifier(),
        state: client.randomState(),
        nonce: client.randomNonce(),
      };
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: settings.scopes,
        code_challenge: await client.calculatePKCECodeChallenge(flow.codeVerifier),
        code_challenge_method: 'S256',
        state: flow.state,
        nonce: flow.nonce,
      });
      return { url, flow };
    },
    async completeSignIn(currentUrl, flow) {
      const tokens = await client.authorizationCodeGrant(await discovered(), currentUrl, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      const idToken = tokens.claims()!;
      // Many IdPs put the e-mail or the groups only in userinfo: ask it when the ID token lacks one.
      const lacking = idToken.email === undefined || (settings.groups && idToken[settings.groups.claim] === undefined);
      const claims = lacking
        ? {
            // An access token for another audience gets no userinfo: then the ID token is all there is.
            ...(await client.fetchUserInfo(await discovered(), tokens.access_token, idToken.sub).catch(() => ({}))),
            ...idToken,
          }
        : idToken;
      return identifySsoUser(claims, principals, settings.groups);
    },
    async principalOfAccessToken(token) {
      if (!settings.audience) return undefined;
      try {
        const metadata = (await discovered()).serverMetadata();
        if (!metadata.jwks_uri) return undefined;
        keys ??= createRemoteJWKSet(new URL(metadata.jwks_uri));
        const { payload } = await jwtVerify(token, keys, { issuer: metadata.issuer, audience: settings.audience });
        const identity = identifySsoUser(payload, principals, tokenGroups);
        return typeof identity === 'string' ? undefined : identity.principal;
      } catch {
        return undefined; // not signed by the IdP, expired, another audience, or the IdP unreachable: 401
      }
    },
  };
}
