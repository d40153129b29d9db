// Pure logic: who an IdP identity is at the gate, with which groups (no IdP here; the browser
// suite signs in through a real one).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { type IdpGroupSettings, identifySsoUser, mappedGroups } from '../../api/sso-reviewer';
import { loadPrincipals } from '../../config/principals';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sso-reviewer-test-'));
const principalsFile = (text: string) => {
  const file = path.join(dir, `principals-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
};
const principals = loadPrincipals(
  principalsFile(`principals:
  - { id: alice, kind: reviewer, groups: [dba, sre], token: token-alice-0000000001, subject: alice-sub }
  - { id: bob, kind: reviewer, groups: [dba], token: token-bob-00000000000002, email: bob@corp.example }
  - { id: agent, kind: agent, groups: [dba], token: token-agent-0000000003, subject: agent-sub }
`),
);
const groups = (admitByGroups: boolean): IdpGroupSettings => ({
  claim: 'groups',
  map: [
    ['idp-dba', 'dba'],
    ['idp-ops', 'sre'],
    ['idp-ops', 'oncall'],
  ],
  admitByGroups,
});

test('IdP groups map through the configured pairs; a missing or malformed claim maps to none', () => {
  assert.deepEqual(mappedGroups({ groups: ['idp-ops', 'idp-dba', 'idp-other'] }, groups(false)), [
    'dba',
    'sre',
    'oncall',
  ]);
  assert.deepEqual(mappedGroups({ groups: 'idp-dba' }, groups(false)), ['dba']);
  assert.deepEqual(mappedGroups({}, groups(false)), []);
  assert.deepEqual(mappedGroups({ groups: [{ name: 'idp-dba' }, 7] }, groups(false)), []);
  // Case and spelling matter: "IDP-DBA" is another group.
  assert.deepEqual(mappedGroups({ groups: ['IDP-DBA', 'idp-dba '] }, groups(false)), []);
});

test('a principal found by subject or verified e-mail keeps only the file groups the IdP still grants', () => {
  const alice = identifySsoUser({ sub: 'alice-sub', groups: ['idp-dba', 'idp-ops'] }, principals, groups(false));
  assert.deepEqual(alice, {
    subject: 'alice-sub',
    principal: { id: 'alice', kind: 'reviewer', groups: ['dba', 'sre'] },
    admitted: false,
  });
  // The IdP took sre away: alice keeps dba only. It cannot add oncall, which her file entry lacks.
  const narrowed = identifySsoUser({ sub: 'alice-sub', groups: ['idp-dba'] }, principals, groups(false));
  assert.deepEqual(typeof narrowed !== 'string' && narrowed.principal.groups, ['dba']);
  const bob = identifySsoUser(
    { sub: 'b', email: 'BOB@corp.example', email_verified: true, groups: ['idp-ops'] },
    principals,
    groups(true),
  );
  assert.deepEqual(typeof bob !== 'string' && bob.principal, { id: 'bob', kind: 'reviewer', groups: [] });
  // Without a groups claim configured, the file's groups stand.
  const unmapped = identifySsoUser({ sub: 'alice-sub' }, principals, undefined);
  assert.deepEqual(typeof unmapped !== 'string' && unmapped.principal.groups, ['dba', 'sre']);
  // An agent's groups are not a reviewer's: left as they are.
  const agent = identifySsoUser({ sub: 'agent-sub' }, principals, groups(true));
  assert.deepEqual(typeof agent !== 'string' && agent.principal, { id: 'agent', kind: 'agent', groups: ['dba'] });
});

test('an identity in no principal is admitted only when configured, only with mapped groups, under a reserved name', () => {
  const stranger = { sub: 's-1', email: 'Stranger@corp.example', email_verified: true, groups: ['idp-dba'] };
  assert.match(
    String(identifySsoUser(stranger, principals, undefined)),
    /Stranger@corp.example is not a reviewer here/,
  );
  assert.match(String(identifySsoUser(stranger, principals, groups(false))), /is not a reviewer here/);
  assert.deepEqual(identifySsoUser(stranger, principals, groups(true)), {
    subject: 's-1',
    email: 'Stranger@corp.example',
    principal: { id: 'sso.stranger@corp.example', kind: 'reviewer', groups: ['dba'] },
    admitted: true,
  });
  // No mapped group, no admission.
  assert.match(
    String(identifySsoUser({ ...stranger, groups: ['idp-other'] }, principals, groups(true))),
    /in none of the identity provider's groups/,
  );
  // An unverified e-mail neither matches bob nor names the admitted reviewer: the subject does.
  const unverified = identifySsoUser(
    { sub: 's-2', email: 'bob@corp.example', email_verified: false, groups: ['idp-dba'] },
    principals,
    groups(true),
  );
  assert.deepEqual(typeof unverified !== 'string' && unverified.principal.id, 'sso.s-2');
  // A subject that cannot be an id, and no e-mail: refused, not mangled into someone else's name.
  assert.match(
    String(identifySsoUser({ sub: 'a b/c', groups: ['idp-dba'] }, principals, groups(true))),
    /cannot be named here/,
  );
  assert.match(String(identifySsoUser({ groups: ['idp-dba'] }, principals, groups(true))), /named no subject/);
});

test('no principal file may take a name reserved for admitted reviewers', () => {
  assert.throws(
    () =>
      loadPrincipals(
        principalsFile(`principals:
  - { id: sso.stranger@corp.example, kind: reviewer, groups: [dba], token: token-fake-00000000001 }
`),
      ),
    /reserved for reviewers admitted by single sign-on/,
  );
});
