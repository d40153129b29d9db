import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createLinkSigner } from '../../notifications/links';
import { loadSettings, publicUrl } from '../../config/env';
import { loadWebhooks } from '../../config/webhooks';
import { loadPrincipals } from '../../config/principals';
import { loadTargets } from '../../config/targets';
import { loadTargetCatalogue } from '../../config/target-catalogue';

const dir = mkdtempSync(path.join(os.tmpdir(), 'settings-test-'));
function file(name: string, text: string): string {
  const full = path.join(dir, name);
  writeFileSync(full, text);
  return full;
}

test('defaults apply and a bad variable is named', () => {
  const settings = loadSettings({});
  assert.equal(settings.PORT, 8080);
  assert.equal(settings.TEMPORAL_NAMESPACE, 'default');
  assert.throws(() => loadSettings({ PORT: 'eighty' }), /PORT: /);
  assert.throws(() => loadSettings({ DATABASE_URL: 'not a url' }), /DATABASE_URL: /);
  assert.throws(() => loadSettings({ WORKER_ROLE: 'both' }), /WORKER_ROLE: /);
});

test("the executor's queue is the orchestrator's with -executor; naming another stops start-up", () => {
  assert.equal(loadSettings({}).TEMPORAL_EXECUTOR_TASK_QUEUE, 'approval-gate-executor');
  const custom = loadSettings({ TEMPORAL_TASK_QUEUE: 'payments-gate' });
  assert.equal(custom.TEMPORAL_EXECUTOR_TASK_QUEUE, 'payments-gate-executor');
  // Said again, as deployments configured before did: accepted when it agrees.
  const agreeing = { TEMPORAL_TASK_QUEUE: 'payments-gate', TEMPORAL_EXECUTOR_TASK_QUEUE: 'payments-gate-executor' };
  assert.equal(loadSettings(agreeing).TEMPORAL_EXECUTOR_TASK_QUEUE, 'payments-gate-executor');
  assert.throws(
    () => loadSettings({ TEMPORAL_EXECUTOR_TASK_QUEUE: 'executors' }),
    /TEMPORAL_EXECUTOR_TASK_QUEUE is executors, but the executor's queue is .*\(approval-gate-executor\)/,
  );
});

test('principals map Slack users by member id or e-mail, each to one principal', () => {
  const principals = loadPrincipals(
    file(
      'slack-principals.yaml',
      `principals:
  - { id: alice, kind: reviewer, groups: [dba], token: token-alice-0000000001, slackUserId: U0ALICE01 }
  - { id: bob, kind: reviewer, groups: [dba], token: token-bob-00000000000002, email: Bob@Example.com }
`,
    ),
  );
  assert.equal(principals.findBySlackUser('U0ALICE01')?.id, 'alice');
  assert.equal(principals.findBySlackUser('U0SOMEONE', 'bob@example.COM')?.id, 'bob');
  assert.equal(principals.findBySlackUser('U0SOMEONE', 'carol@example.com'), undefined);
  assert.equal(principals.findBySlackUser('U0SOMEONE'), undefined);
  const twice = file(
    'slack-twice.yaml',
    `principals:
  - { id: alice, kind: reviewer, token: token-alice-0000000001, slackUserId: U0SAME001 }
  - { id: bob, kind: reviewer, token: token-bob-00000000000002, slackUserId: U0SAME001 }
`,
  );
  assert.throws(() => loadPrincipals(twice), /U0SAME001 belongs to two principals/);
  assert.throws(
    () =>
      loadPrincipals(
        file(
          'slack-bad.yaml',
          'principals:\n  - { id: a, kind: reviewer, token: token-a-000000000001, slackUserId: alice }\n',
        ),
      ),
    /slackUserId is a Slack member id/,
  );
});

test('OIDC settings come together or not at all, each problem named', () => {
  assert.throws(
    () => loadSettings({ OIDC_ISSUER: 'https://idp.example' }),
    /OIDC_ISSUER is set without OIDC_CLIENT_ID/,
  );
  assert.throws(() => loadSettings({ OIDC_CLIENT_ID: 'gate' }), /need OIDC_ISSUER/);
  assert.throws(() => loadSettings({ OIDC_AUDIENCE: 'https://gate.example/v1' }), /need OIDC_ISSUER/);
  assert.throws(() => loadSettings({ OIDC_ISSUER: 'not a url', OIDC_CLIENT_ID: 'gate' }), /OIDC_ISSUER: /);
  const settings = loadSettings({ OIDC_ISSUER: 'https://idp.example', OIDC_AUDIENCE: 'https://gate.example/v1' });
  assert.equal(settings.OIDC_AUDIENCE, 'https://gate.example/v1');
});

test('LOCAL_CODEC (a codec without a token) starts only with the API on loopback', () => {
  assert.equal(loadSettings({}).LOCAL_CODEC, false);
  assert.equal(loadSettings({ LOCAL_CODEC: 'true' }).LOCAL_CODEC, true);
  assert.equal(loadSettings({ LOCAL_CODEC: 'true', HOST: '::1' }).LOCAL_CODEC, true);
  for (const HOST of ['0.0.0.0', '192.0.2.2', '::'])
    assert.throws(() => loadSettings({ LOCAL_CODEC: 'true', HOST }), /LOCAL_CODEC .*loopback only: HOST is/);
  assert.throws(() => loadSettings({ LOCAL_CODEC: 'yes please' }), /LOCAL_CODEC: /);
});

test('TRUST_PROXY names proxies by address or range, never by a hop count or "true"', () => {
  assert.equal(loadSettings({}).TRUST_PROXY, undefined);
  assert.deepEqual(loadSettings({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1' }).TRUST_PROXY, [
    '127.0.0.1',
    '10.0.0.0/8',
    '::1',
  ]);
  for (const TRUST_PROXY of ['true', '1', '127.1', '*', '10.0.0.0/33', '10.0.0.0/8/8', 'lb.internal', ','])
    assert.throws(() => loadSettings({ TRUST_PROXY }), /TRUST_PROXY(\.\d+)?: /, TRUST_PROXY);
});

test('principals authenticate by token or token hash; bad entries name the line', () => {
  const principals = loadPrincipals(
    file(
      'p.yaml',
      `principals:
  - { id: agent-1, kind: agent, token: a-long-enough-token-1 }
  - { id: alice, kind: reviewer, groups: [dba], tokenSha256: ${createHash('sha256').update('alice-secret-token-xyz').digest('hex')} }
`,
    ),
  );
  assert.equal(principals.authenticate('a-long-enough-token-1')?.id, 'agent-1');
  assert.deepEqual(principals.authenticate('alice-secret-token-xyz'), {
    id: 'alice',
    kind: 'reviewer',
    groups: ['dba'],
  });
  assert.equal(principals.authenticate('a-long-enough-token-2'), undefined);
  assert.throws(
    () => loadPrincipals(file('bad.yaml', 'principals:\n  - { id: x, kind: admin, token: a-long-enough-token-1 }\n')),
    /principals\.0\.kind \(line 2\)/,
  );
  assert.throws(
    () => loadPrincipals(file('short.yaml', 'principals:\n  - { id: x, kind: agent, token: short }\n')),
    /at least 16 characters/,
  );
  assert.throws(
    () => loadPrincipals(file('missing.yaml', 'principals:\n  - { id: x, kind: agent }\n')),
    /exactly one of token or tokenSha256/,
  );
});

test('targets interpolate ${ENV} in values (not comments) and refuse a missing variable', () => {
  const targetsFile = file(
    't.yaml',
    `# the url comes from \${SOMETHING_IN_A_COMMENT}
targets:
  app-db: { connector: postgres, url: "\${APP_DB_URL}", statementTimeout: 10s }
`,
  );
  const targets = loadTargets(targetsFile, { APP_DB_URL: 'postgres://u:p@h/db' });
  assert.deepEqual(targets.get('app-db'), {
    name: 'app-db',
    connector: 'postgres',
    url: 'postgres://u:p@h/db',
    maxRows: 100,
    maxResultBytes: 1_000_000,
    statementTimeoutMs: 10_000,
    mask: { columns: [], patterns: [] },
    searchPath: ['public'],
    preview: { dryRun: false, lockTimeoutMs: 1_000, statementTimeoutMs: 5_000 },
  });
  assert.throws(() => loadTargets(targetsFile, {}), /refers to \$\{APP_DB_URL\}, which is not set/);
  assert.throws(
    () =>
      loadTargets(
        file(
          'bad-preview.yaml',
          'targets:\n  x: { connector: postgres, url: "postgres://h", preview: { lockTimeout: soon } }\n',
        ),
        {},
      ),
    /targets\.x\.preview\.lockTimeout "soon" is not a duration/,
  );
  assert.throws(
    () => loadTargets(file('bad-t.yaml', 'targets:\n  x: { connector: postgres, url: "mysql://h" }\n'), {}),
    /targets\.x\.url \(line 2\)/,
  );
  // The executor pins search_path with the session's startup options: a URL's own would replace them.
  const withOptions = file('options.yaml', 'targets:\n  x: { connector: postgres, url: "${URL}" }\n');
  for (const url of [
    'postgres://u:secret@h/db?options=-c%20search_path%3Dx',
    'postgres://u:secret@h/db?sslmode=disable&%6Fptions=x',
  ])
    assert.throws(
      () => loadTargets(withOptions, { URL: url }),
      (error: Error) => /targets\.x\.url may not set options/.test(error.message) && !error.message.includes('secret'),
      url,
    );
  assert.throws(
    () =>
      loadTargets(
        file('path.yaml', 'targets:\n  x: { connector: postgres, url: "postgres://h", searchPath: [Public] }\n'),
        {},
      ),
    /targets\.x\.searchPath\.0 \(line 2\): a schema name in lower case/,
  );
  assert.deepEqual(
    (
      loadTargets(
        file('path2.yaml', 'targets:\n  x: { connector: postgres, url: "postgres://h", searchPath: [app, public] }\n'),
        {},
      ).get('x') as { searchPath: string[] }
    ).searchPath,
    ['app', 'public'],
  );
  // The API's and the orchestrator's view: the search path, with the same default and checks, and no URL.
  const catalogue = loadTargetCatalogue(
    file(
      'path3.yaml',
      'targets:\n  x: { connector: postgres, url: "${SECRET_URL}", searchPath: [app] }\n  y: { connector: postgres, url: "${Y}" }\n',
    ),
  );
  assert.deepEqual(catalogue, [
    { name: 'x', connector: 'postgres', searchPath: ['app'] },
    { name: 'y', connector: 'postgres', searchPath: ['public'] },
  ]);
  assert.throws(
    () => loadTargetCatalogue(file('path4.yaml', 'targets:\n  x: { connector: postgres, url: "u", searchPath: [] }\n')),
    /targets\.x\.searchPath/,
  );
});

test("a MySQL target's database is the one policy names its bare tables in: the url names it or none", () => {
  const mysqlFile = file('mysql.yaml', 'targets:\n  s: { connector: mysql, url: "${URL}", database: shop }\n');
  const loaded = (url: string) => loadTargets(mysqlFile, { URL: url }).get('s') as { database?: string };
  assert.equal(loaded('mysql://u:secret@h:3306/shop').database, 'shop');
  assert.equal(loaded('mysql://u:secret@h:3306').database, 'shop', 'the executor connects to it');
  assert.equal(loaded('mysql://u:secret@h:3306/sh%6Fp').database, 'shop', 'the path read as mysql2 reads it');
  const refusedWithoutTheSecret = (pattern: RegExp) => (error: Error) =>
    pattern.test(error.message) && !error.message.includes('secret');
  assert.throws(
    () => loaded('mysql://u:secret@h:3306/Shop'),
    refusedWithoutTheSecret(/targets\.s\.url names another database than targets\.s\.database/),
  );
  // A url that names a database, with no `database` set: policy would not know what bare names mean.
  const unnamed = file('mysql2.yaml', 'targets:\n  s: { connector: mysql, url: "${URL}" }\n');
  assert.throws(
    () => loadTargets(unnamed, { URL: 'mysql://u:secret@h/shop' }),
    refusedWithoutTheSecret(/targets\.s\.url names a database, but targets\.s\.database is not set/),
  );
  assert.equal(
    (loadTargets(unnamed, { URL: 'mysql://u:secret@h' }).get('s') as { database?: string }).database,
    undefined,
  );
  assert.throws(
    () =>
      loadTargets(file('mysql3.yaml', 'targets:\n  s: { connector: mysql, url: "mysql://h", database: a.b }\n'), {}),
    /targets\.s\.database \(line 2\): a database name/,
  );
  // The API reads the file uninterpolated: a database from the environment would mean another name there.
  assert.throws(
    () =>
      loadTargetCatalogue(file('mysql4.yaml', 'targets:\n  s: { connector: mysql, url: "${U}", database: "${DB}" }\n')),
    /targets\.s\.database \(line 2\): written out, not \$\{ENV\}/,
  );
  // mysql2 takes a URL's query parameters as options, over the executor's own false ones.
  for (const [query, option] of [
    ['multipleStatements=true', 'multipleStatements'],
    ['ssl=%7B%7D&debug=true', 'debug'],
    ['flags=%2BMULTI_STATEMENTS', 'flags'],
  ])
    assert.throws(
      () => loaded(`mysql://u:secret@h:3306/shop?${query}`),
      refusedWithoutTheSecret(new RegExp(`targets\\.s\\.url may not set ${option}: .* may set only ssl, charset`)),
      query,
    );
  assert.equal(
    loaded('mysql://u:secret@h:3306/shop?ssl=%7B%22rejectUnauthorized%22%3Atrue%7D&charset=utf8mb4').database,
    'shop',
  );
  // The API's and the orchestrator's view: the database, and no URL.
  assert.deepEqual(loadTargetCatalogue(mysqlFile), [{ name: 's', connector: 'mysql', database: 'shop' }]);
  assert.deepEqual(loadTargetCatalogue(unnamed), [{ name: 's', connector: 'mysql' }]);
});

test("an SSH target's directory: where its commands start, absolute and written out", () => {
  const ssh = (settings: string) =>
    file(
      'ssh.yaml',
      `targets:\n  w: { connector: ssh, host: h, username: u, privateKey: "\${K}", hostKey: k${settings} }\n`,
    );
  assert.deepEqual(loadTargetCatalogue(ssh('')), [
    { name: 'w', connector: 'ssh', shell: false, directory: '/', home: '/home/u' },
  ]);
  assert.deepEqual(loadTargetCatalogue(ssh(', directory: /srv/app')), [
    { name: 'w', connector: 'ssh', shell: false, directory: '/srv/app', home: '/home/u' },
  ]);
  assert.throws(
    () => loadTargetCatalogue(ssh(', directory: srv/app')),
    /targets\.w\.directory \(line 2\): an absolute path/,
  );
  // Policy reads relative paths from it in the API, which reads the file uninterpolated.
  assert.throws(
    () => loadTargetCatalogue(ssh(', directory: "/srv/\${APP}"')),
    /targets\.w\.directory \(line 2\): written out, not \$\{ENV\}/,
  );
});

test("an SSH target's home: written out, or the username's, whose login files no command may touch", () => {
  const ssh = (username: string, settings = '') =>
    file(
      'ssh-home.yaml',
      `targets:\n  w: { connector: ssh, host: h, username: "${username}", privateKey: "\${K}", hostKey: k${settings} }\n`,
    );
  const home = (text: string) => loadTargetCatalogue(text)[0]!.home;
  assert.equal(home(ssh('deploy')), '/home/deploy');
  assert.equal(home(ssh('root')), '/root');
  assert.equal(home(ssh('deploy', ', home: /var/lib/deploy')), '/var/lib/deploy');
  assert.equal(home(ssh('\${SSH_USER}', ', home: /srv/gate')), '/srv/gate');
  // The API reads the file uninterpolated: a username from the environment names no home.
  assert.throws(
    () => loadTargetCatalogue(ssh('\${SSH_USER}')),
    /targets\.w\.home: the login's home directory, written out/,
  );
  assert.throws(
    () => loadTargetCatalogue(ssh('deploy', ', home: var/lib')),
    /targets\.w\.home \(line 2\): an absolute path/,
  );
  assert.throws(
    () => loadTargetCatalogue(ssh('deploy', ', home: "/home/\${USER}"')),
    /targets\.w\.home \(line 2\): written out, not \$\{ENV\}/,
  );
});

test("an SSH target's code directories: absolute, written out, at least one (ADR 111)", () => {
  const ssh = (settings: string) =>
    file(
      'ssh-code.yaml',
      `targets:\n  w: { connector: ssh, host: h, username: u, privateKey: "\${K}", hostKey: k${settings} }\n`,
    );
  const kept = (text: string) => loadTargetCatalogue(text)[0]!.codeDirectories;
  assert.equal(kept(ssh('')), undefined, "absent: the system's, which the connector knows");
  assert.deepEqual(kept(ssh(', codeDirectories: [/usr, /srv/app]')), ['/usr', '/srv/app']);
  assert.throws(
    () => loadTargetCatalogue(ssh(', codeDirectories: [srv/app]')),
    /targets\.w\.codeDirectories\.0 \(line 2\): an absolute path/,
  );
  assert.throws(
    () => loadTargetCatalogue(ssh(', codeDirectories: ["/srv/\${APP}"]')),
    /targets\.w\.codeDirectories\.0 \(line 2\): written out, not \$\{ENV\}/,
  );
  assert.throws(() => loadTargetCatalogue(ssh(', codeDirectories: []')), /targets\.w\.codeDirectories/);
});

test("an HTTP target's headers: written out, lower-cased, never one that defeats the gate or carries its credential", () => {
  const listed = file(
    'http.yaml',
    'targets:\n  h: { connector: http, baseUrl: "${BASE}", headers: [X-Reason, prefer] }\n  i: { connector: http, baseUrl: "http://i" }\n',
  );
  assert.deepEqual((loadTargets(listed, { BASE: 'http://h' }).get('h') as { headers: string[] }).headers, [
    'x-reason',
    'prefer',
  ]);
  assert.deepEqual(
    loadTargetCatalogue(listed).map(({ name, calls }) => [name, calls?.headers]),
    [
      ['h', ['x-reason', 'prefer']],
      ['i', []],
    ],
  );
  for (const [header, why] of [
    ['X-HTTP-Method-Override', /a target may not take X-HTTP-Method-Override: frameworks run the call as the method/],
    ['Authorization', /a target may not take Authorization: the executor sets who the call is from/],
    ['x-forwarded-user', /a target may not take x-forwarded-user: it names another caller/],
    ['Range', /a target may not take Range: the answer would come in part/],
  ] as const)
    assert.throws(
      () =>
        loadTargetCatalogue(
          file('http-bad.yaml', `targets:\n  h: { connector: http, baseUrl: "http://h", headers: [${header}] }\n`),
        ),
      why,
      header,
    );
  assert.throws(
    () =>
      loadTargets(
        file(
          'http-keyed.yaml',
          'targets:\n  h: { connector: http, baseUrl: "http://h", auth: { type: header, name: X-Api-Key, value: "${K}" }, headers: [x-api-key] }\n',
        ),
        { K: 'key-secret-1' },
      ),
    (error: Error) =>
      /targets\.h\.headers .*carries the target's credential/.test(error.message) &&
      !error.message.includes('key-secret-1'),
  );
  assert.throws(
    () =>
      loadTargetCatalogue(
        file('http-env.yaml', 'targets:\n  h: { connector: http, baseUrl: "http://h", headers: ["${H}"] }\n'),
      ),
    /targets\.h\.headers\.0 \(line 2\): not a header name/,
  );
});

test('notification settings: a short LINK_SECRET is named, hosts are listed, PUBLIC_URL defaults to the API address', () => {
  assert.throws(
    () => loadSettings({ LINK_SECRET: 'too-short' }),
    /LINK_SECRET: LINK_SECRET must be at least 32 characters/,
  );
  assert.throws(() => loadSettings({ PUBLIC_URL: 'gate' }), /PUBLIC_URL: /);
  const settings = loadSettings({
    CALLBACK_ALLOWED_HOSTS: ' Agents.example.com:8443, ,hooks.example.com',
    PORT: '9000',
  });
  assert.deepEqual(settings.CALLBACK_ALLOWED_HOSTS, ['agents.example.com:8443', 'hooks.example.com']);
  assert.equal(publicUrl(settings), 'http://127.0.0.1:9000');
  assert.equal(publicUrl(loadSettings({ PUBLIC_URL: 'https://gate.example.com/' })), 'https://gate.example.com');
});

test('webhooks interpolate their URL from the environment and refuse bad entries with the line', () => {
  const webhooksFile = file(
    'n.yaml',
    'webhooks:\n  - { name: dba-slack, url: "${SLACK_URL}", format: slack, groups: [dba] }\n',
  );
  assert.deepEqual(loadWebhooks(webhooksFile, { SLACK_URL: 'https://hooks.slack.com/services/x' }), [
    {
      name: 'dba-slack',
      url: 'https://hooks.slack.com/services/x',
      format: 'slack',
      groups: ['dba'],
      allowPrivateNetwork: false,
      interactive: false,
      personalLinks: false,
    },
  ]);
  assert.deepEqual(loadWebhooks(undefined), []);
  assert.throws(
    () =>
      loadWebhooks(
        file(
          'n5.yaml',
          'webhooks:\n  - { name: a, url: "https://x", format: slack, groups: [g], personalLinks: true }\n',
        ),
        {},
      ),
    /webhooks\.0\.personalLinks \(line 2\): a slack webhook posts to a channel, where everyone would read every reviewer's links/,
  );
  assert.throws(
    () => loadWebhooks(file('n2.yaml', 'webhooks:\n  - { name: a, url: "ftp://x", groups: [dba] }\n'), {}),
    /webhooks\.0\.url \(line 2\): url must be an http\(s\) URL/,
  );
  assert.throws(
    () => loadWebhooks(file('n3.yaml', 'webhooks:\n  - { name: a, url: "https://x", groups: [] }\n'), {}),
    /name the reviewer groups/,
  );
  assert.throws(
    () =>
      loadWebhooks(
        file(
          'n4.yaml',
          'webhooks:\n  - { name: a, url: "https://x", groups: [g] }\n  - { name: a, url: "https://y", groups: [g] }\n',
        ),
        {},
      ),
    /two webhooks are named "a"/,
  );
});

test('one-click link tokens verify only unaltered and unexpired', () => {
  const signer = createLinkSigner('k'.repeat(32), 'https://gate.example.com');
  const claims = { requestId: 'req_1', stage: 2, reviewer: 'alice', decision: 'approve' as const, expiresAt: 2_000 };
  const token = signer.sign(claims);
  assert.deepEqual(signer.verify(token, 1_000), { ok: true, claims });
  assert.equal(signer.verify(token, 2_000).ok, false);
  assert.match(JSON.stringify(signer.verify(token, 2_000)), /"problem":"expired"/);
  assert.match(JSON.stringify(createLinkSigner('j'.repeat(32), 'x').verify(token, 1_000)), /"problem":"bad_signature"/);
  assert.match(JSON.stringify(signer.verify(`${token}x`, 1_000)), /"problem":"bad_signature"/);
  assert.match(JSON.stringify(signer.verify('garbage', 1_000)), /"problem":"malformed"/);
  assert.equal(signer.url(token), `https://gate.example.com/links/${token}`);
});

test('payload keys: id:base64 of 32 bytes, the first encrypts; bad keys are named without their material', () => {
  const [k1, k2] = [Buffer.alloc(32, 1).toString('base64'), Buffer.alloc(32, 2).toString('base64')];
  const keys = loadSettings({ PAYLOAD_KEYS: `k2:${k2}, k1:${k1}` }).PAYLOAD_KEYS!;
  assert.deepEqual(
    keys.map((key) => key.id),
    ['k2', 'k1'],
  );
  assert.equal(keys[0]!.key.length, 32);
  const short = Buffer.alloc(16, 3).toString('base64');
  assert.throws(
    () => loadSettings({ PAYLOAD_KEYS: `k1:${short}` }),
    (error: Error) =>
      /PAYLOAD_KEYS.*key k1 is 16 bytes; AES-256 needs 32/.test(error.message) && !error.message.includes(short),
  );
  assert.throws(() => loadSettings({ PAYLOAD_KEYS: k1 }), /each key is <id>:<base64 of 32 bytes>/);
  assert.throws(() => loadSettings({ PAYLOAD_KEYS: `a:${k1},a:${k2}` }), /key ids must be unique/);
  assert.throws(() => loadSettings({ CODEC_CORS_ORIGINS: 'not a url' }), /CODEC_CORS_ORIGINS/);
  assert.deepEqual(
    loadSettings({ CODEC_CORS_ORIGINS: 'http://localhost:8233/, https://ui.example.com' }).CODEC_CORS_ORIGINS,
    ['http://localhost:8233', 'https://ui.example.com'],
  );
});

test('the IdP group settings come together, and admission needs them', () => {
  const oidc = { OIDC_ISSUER: 'https://idp.example', OIDC_CLIENT_ID: 'gate' };
  const parsed = loadSettings({
    ...oidc,
    OIDC_GROUPS_CLAIM: 'groups',
    OIDC_GROUP_MAP: 'idp-dba=dba, idp-ops=sre',
    OIDC_ADMIT_BY_GROUPS: 'true',
  });
  assert.deepEqual(parsed.OIDC_GROUP_MAP, [
    ['idp-dba', 'dba'],
    ['idp-ops', 'sre'],
  ]);
  assert.equal(parsed.OIDC_SCOPES, 'openid email');
  assert.throws(() => loadSettings({ ...oidc, OIDC_GROUPS_CLAIM: 'groups' }), /OIDC_GROUPS_CLAIM and OIDC_GROUP_MAP/);
  assert.throws(
    () => loadSettings({ ...oidc, OIDC_GROUPS_CLAIM: 'groups', OIDC_GROUP_MAP: 'idp-dba' }),
    /OIDC_GROUP_MAP.*idp-group=gate-group/,
  );
  assert.throws(() => loadSettings({ ...oidc, OIDC_ADMIT_BY_GROUPS: 'true' }), /OIDC_ADMIT_BY_GROUPS needs/);
  assert.throws(
    () =>
      loadSettings({
        OIDC_ISSUER: 'https://idp.example',
        OIDC_AUDIENCE: 'api',
        OIDC_GROUPS_CLAIM: 'g',
        OIDC_GROUP_MAP: 'a=b',
      }),
    /OIDC_GROUPS_CLAIM needs OIDC_CLIENT_ID/,
  );
  assert.throws(() => loadSettings({ ...oidc, OIDC_SCOPES: 'email groups' }), /OIDC_SCOPES must include openid/);
});

test('metrics and tracing are off unless configured; a bad value or a bundle without tracing stops start-up', () => {
  const plain = loadSettings({});
  assert.equal(plain.METRICS_PORT, undefined);
  assert.equal(plain.METRICS_HOST, '127.0.0.1');
  assert.equal(plain.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, undefined);
  assert.equal(loadSettings({ METRICS_PORT: '9464' }).METRICS_PORT, 9464);
  assert.throws(() => loadSettings({ METRICS_PORT: '70000' }), /METRICS_PORT/);
  assert.throws(
    () => loadSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'collector:4318' }),
    /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT/,
  );
  const traced = {
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces',
    WORKFLOW_BUNDLE_PATH: 'dist/b.js',
  };
  assert.throws(() => loadSettings(traced), /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT .*unset WORKFLOW_BUNDLE_PATH/);
  // The executor runs no workflow code: its bundle setting is not in the way.
  assert.equal(loadSettings({ ...traced, WORKER_ROLE: 'executor' }).WORKER_ROLE, 'executor');
});
