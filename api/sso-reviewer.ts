// Who an identity from the IdP is at the gate, and with which groups. A principal found by subject
// or verified e-mail keeps its kind; its groups are those in PRINCIPALS_FILE, narrowed to the ones
// the IdP's groups claim still maps to when a claim is configured (the IdP can take a group away,
// never add one). Someone in no principal is admitted only when OIDC_ADMIT_BY_GROUPS is on, as a
// reviewer named `sso.<e-mail or subject>` with exactly their mapped groups.
import {
  PRINCIPAL_ID_PATTERN,
  type Principal,
  type PrincipalDirectory,
  SSO_REVIEWER_PREFIX,
} from '../config/principals';

export interface IdpGroupSettings {
  /** The claim listing the reviewer's IdP groups (OIDC_GROUPS_CLAIM). */
  claim: string;
  /** idp-group → gate-group pairs (OIDC_GROUP_MAP); one IdP group may give several. */
  map: ReadonlyArray<readonly [string, string]>;
  /** Admit identities that belong to no principal, by their mapped groups (OIDC_ADMIT_BY_GROUPS). */
  admitByGroups: boolean;
}

/** The claims of an ID token (merged with userinfo) or of an access token. */
export type IdentityClaims = Record<string, unknown>;

export interface SsoIdentity {
  principal: Principal;
  /** Admitted from IdP groups alone (no principal in the file): the workers learn the groups from the gate's database. */
  admitted: boolean;
  subject: string;
  email?: string;
}

const verifiedEmail = (claims: IdentityClaims) =>
  claims.email_verified === true && typeof claims.email === 'string' ? claims.email : undefined;

/** The gate groups an identity's IdP groups map to, in map order; no claim (or not a list) maps to none. */
export function mappedGroups(claims: IdentityClaims, settings: IdpGroupSettings): string[] {
  const listed = claims[settings.claim];
  // Some IdPs send a single group as a string.
  const idpGroups = new Set(
    (Array.isArray(listed) ? listed : [listed]).filter((group): group is string => typeof group === 'string'),
  );
  return [...new Set(settings.map.filter(([idp]) => idpGroups.has(idp)).map(([, gate]) => gate))];
}

/** The gate name of an admitted reviewer: their verified e-mail, else their subject, when it makes a valid id. */
function admittedId(subject: string, email: string | undefined): string | undefined {
  for (const name of [email?.toLowerCase(), subject]) {
    const id = name === undefined ? undefined : `${SSO_REVIEWER_PREFIX}${name}`;
    if (id !== undefined && PRINCIPAL_ID_PATTERN.test(id)) return id;
  }
  return undefined;
}

/** Who signs in, or a sentence saying why not. */
export function identifySsoUser(
  claims: IdentityClaims,
  principals: PrincipalDirectory,
  groups: IdpGroupSettings | undefined,
): SsoIdentity | string {
  const subject = claims.sub;
  if (typeof subject !== 'string' || subject === '') return 'The identity provider named no subject.';
  const email = verifiedEmail(claims);
  const identity = { subject, ...(email !== undefined && { email }) };
  const found = principals.findByIdentity(subject, email);
  if (found) {
    if (!groups || found.kind !== 'reviewer') return { ...identity, principal: found, admitted: false };
    const granted = mappedGroups(claims, groups);
    return {
      ...identity,
      principal: { ...found, groups: found.groups.filter((group) => granted.includes(group)) },
      admitted: false,
    };
  }
  const who = email ?? subject;
  if (!groups?.admitByGroups) return `${who} is not a reviewer here (no principal has that subject or e-mail).`;
  const granted = mappedGroups(claims, groups);
  if (granted.length === 0)
    return `${who} is in none of the identity provider's groups that map to a reviewer group here.`;
  const id = admittedId(subject, email);
  if (!id) return `${who} cannot be named here (ids are letters, digits, . _ @ or -).`;
  return { ...identity, principal: { id, kind: 'reviewer', groups: granted }, admitted: true };
}
