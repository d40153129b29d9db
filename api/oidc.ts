// OpenID Connect: reviewers sign in to the inbox with the authorization code flow and PKCE
// (openid-client), and /v1 accepts the IdP's access tokens (JWTs verified against its JWKS with
// jose). Either way the identity (subject, or verified e-mail) must belong to a principal in
// PRINCIPALS_FILE: the principal's kind and groups come from that file, never from the token.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import type { Principal, PrincipalDirectory } from '../config/principals';

export interface OidcSettings {
  issuer: string;
  clientId?: string;
  clientSecret?: string;
  /** Required of access tokens on /v1; without it /v1 takes static tokens only. */
  audience?: string;
}

/** What the authorization request left to check when the IdP sends the reviewer back. */
export interface OidcFlow {
  codeVerifier: string;
  state: string;
  nonce: string;
}

export interface Oidc {
  /** Where to send the browser, and the checks to keep (in the flow cookie) until it returns. */
  signInUrl(redirectUri: string): Promise<{ url: URL; flow: OidcFlow }>;
  /** Completes the code flow; the principal the identity belongs to, or why not. */
  completeSignIn(currentUrl: URL, flow: OidcFlow): Promise<Principal | string>;
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

  const identify = (subject: unknown, email: unknown, emailVerified: unknown) =>
    typeof subject === 'string'
      ? principals.findByIdentity(subject, emailVerified === true && typeof email === 'string' ? email : undefined)
      : undefined;

  return {
    async signInUrl(redirectUri) {
      const config = await discovered();
      const flow = {
        codeVerifier: client.randomPKCECodeVerifier(),
        state: client.randomState(),
        nonce: client.randomNonce(),
      };
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid email',
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
      // Many IdPs put the e-mail only in userinfo: ask it when the ID token lacks one.
      const claims =
        idToken.email === undefined
          ? {
              // An access token for another audience gets no userinfo: then the ID token is all there is.
              ...(await client.fetchUserInfo(await discovered(), tokens.access_token, idToken.sub).catch(() => ({}))),
              ...idToken,
            }
          : idToken;
      const principal = identify(claims.sub, claims.email, claims.email_verified);
      if (!principal)
        return `${String(claims.email ?? claims.sub)} is not a reviewer here (no principal has that subject or e-mail).`;
      return principal;
    },
    async principalOfAccessToken(token) {
      if (!settings.audience) return undefined;
      try {
        const metadata = (await discovered()).serverMetadata();
        if (!metadata.jwks_uri) return undefined;
        keys ??= createRemoteJWKSet(new URL(metadata.jwks_uri));
        const { payload } = await jwtVerify(token, keys, { issuer: metadata.issuer, audience: settings.audience });
        return identify(payload.sub, payload.email, payload.email_verified);
      } catch {
        return undefined; // not signed by the IdP, expired, another audience, or the IdP unreachable: 401
      }
    },
  };
}
