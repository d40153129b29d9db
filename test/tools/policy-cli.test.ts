// The policy commands as a policy author runs them: real processes, real files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { PROTECTED_DIRECTORY_POLICY } from '../support/ssh-readings';
import { requiredEnv } from '../support/stack';

function policyCli(...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'tools/policy-cli.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, TARGETS_FILE: '' },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('npm run policy', () => {
  test('check prints the decision, the matching rule, the facts and why earlier rules missed', () => {
    const request = JSON.stringify({ target: 'app-db', sql: 'UPDATE customers SET email = NULL WHERE id = 1' });
    const { code, stdout } = policyCli('check', '--policy', 'config/policy.yaml', '--request', request);
    assert.equal(code, 0);
    assert.match(stdout, /^decision: {2}require_approval$/m);
    assert.match(stdout, /^rule: {6}writes-need-a-dba$/m);
    assert.match(stdout, /^risk: {6}high$/m);
    assert.match(stdout, /^approval: {2}stage 1: 1 of dba, timeout 30m then reject, channels api, temporal$/m);
    assert.match(stdout, /^ {2}sql\.kinds = \["update"\]$/m);
    assert.match(
      stdout,
      /^ {2}read-only-sql: request\.connector == "postgres" && sql\.readOnly\n {4}true {3}request\.connector == "postgres"\n {4}false {2}sql\.readOnly$/m,
    );
  });

  test('check reads a mysql command with the MySQL parser and shows its facts by namespace', () => {
    const request = JSON.stringify({
      connector: 'mysql',
      target: 'shop-db',
      sql: 'SELECT SLEEP(5), owner FROM accounts',
    });
    const { code, stdout } = policyCli('check', '--policy', 'config/policy.yaml', '--request', request);
    assert.equal(code, 0);
    assert.match(stdout, /^ {2}sql\.unsafeFunctions = \["sleep"\]$/m);
    assert.match(stdout, /^ {2}sql\.readOnly = false$/m);
    const unreadable = policyCli(
      'check',
      '--policy',
      'config/policy.yaml',
      '--request',
      JSON.stringify({ connector: 'mysql', target: 'shop-db', sql: 'SELECT * FROM accounts LOCK IN SHARE MODE' }),
    );
    assert.match(unreadable.stdout, /^rule: {6}unparsable-sql$/m);
    assert.match(unreadable.stdout, /^ {2}\(none: the connector cannot read the command\)$/m);
  });

  test('check reads an http command and shows its http facts', () => {
    const request = JSON.stringify({
      connector: 'http',
      target: 'billing-api',
      command: { method: 'POST', path: '/refunds', body: { amount: 250 } },
    });
    const { code, stdout } = policyCli('check', '--policy', 'config/policy.yaml', '--request', request);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /^ {2}http\.method = "POST"$/m);
    assert.match(stdout, /^ {2}http\.bodyKeys = \["amount"\]$/m);
    assert.match(stdout, /^ {2}http\.readOnly = false$/m);
  });

  test('check --json gives the same decision as data', () => {
    const { code, stdout } = policyCli(
      'check',
      '--policy',
      'config/policy.yaml',
      '--request',
      '{"target":"app-db","sql":"DROP TABLE customers"}',
      '--json',
    );
    assert.equal(code, 0);
    const result = JSON.parse(stdout) as {
      decision: { effect: string; rule: string };
      facts: { sql: { kinds: string[] } };
    };
    assert.deepEqual(
      [result.decision.effect, result.decision.rule, result.facts.sql.kinds],
      ['deny', 'never-drop-or-truncate', ['drop']],
    );
  });

  test('test passes the committed cases of the demo policy', () => {
    const { code, stdout } = policyCli('test', 'config/policy.test.yaml');
    assert.equal(code, 0, stdout);
    assert.match(stdout, /^10 passed, 0 failed/m);
  });

  test('test fails (exit 1) on a case the policy does not meet, naming what differed', () => {
    const dir = mkdtempSync(path.join(requiredEnv('TEST_SCRATCH_DIR'), 'policy-cli-'));
    const cases = path.join(dir, 'cases.yaml');
    writeFileSync(
      cases,
      `policy: ${path.resolve('config/policy.yaml')}
cases:
  - name: reads are allowed
    request: { target: app-db, sql: "SELECT 1" }
    expect: { effect: allow }
  - name: wrongly expects deletes to be allowed
    request: { target: app-db, sql: "DELETE FROM customers WHERE id = 1" }
    expect: { effect: allow, rule: read-only-sql }
`,
    );
    const { code, stdout } = policyCli('test', cases);
    assert.equal(code, 1);
    assert.match(stdout, /^ok {4}reads are allowed$/m);
    assert.match(
      stdout,
      /^FAIL {2}wrongly expects deletes to be allowed: effect require_approval, expected allow; rule writes-need-a-dba, expected read-only-sql$/m,
    );
    assert.match(stdout, /^1 passed, 1 failed/m);
  });

  test("check and test judge a request with its target's settings from a targets file, as the workers do", () => {
    const dir = mkdtempSync(path.join(requiredEnv('TEST_SCRATCH_DIR'), 'policy-cli-'));
    const policy = path.join(dir, 'policy.yaml');
    writeFileSync(policy, PROTECTED_DIRECTORY_POLICY);
    writeFileSync(
      path.join(dir, 'targets.yaml'),
      'targets:\n  web-1: { connector: ssh, host: h, username: u, privateKey: "${KEY}", hostKey: k, directory: /srv/app }\n',
    );
    const request = JSON.stringify({ connector: 'ssh', target: 'web-1', command: { argv: ['mkdir', 'protected/a'] } });
    const checked = (...args: string[]) => policyCli('check', '--policy', policy, '--request', request, ...args).stdout;
    assert.match(checked('--targets', path.join(dir, 'targets.yaml')), /^rule: {6}protected-directory$/m);
    // Without it, the command is read from /, where it lands elsewhere.
    assert.match(checked(), /^rule: {6}default$/m);
    const cases = path.join(dir, 'cases.yaml');
    writeFileSync(
      cases,
      `policy: policy.yaml
targets: targets.yaml
cases:
  - name: a relative path lands in the target's directory
    request: { connector: ssh, target: web-1, command: { argv: [mkdir, protected/a] } }
    expect: { effect: deny, rule: protected-directory }
`,
    );
    const run = policyCli('test', cases);
    assert.equal(run.code, 0, run.stdout);
    assert.match(run.stdout, /^1 passed, 0 failed/m);
  });

  test('a case with an impact preview is decided as the second pass decides it', () => {
    const dir = mkdtempSync(path.join(requiredEnv('TEST_SCRATCH_DIR'), 'policy-cli-'));
    writeFileSync(
      path.join(dir, 'policy.yaml'),
      `version: 1
default: { effect: require_approval, approval: { groups: [dba], timeout: 1h } }
rules:
  - name: one-row-updates
    when: impact.available && impact.exact && impact.rows <= 1
    effect: allow
    maxRows: 1
`,
    );
    writeFileSync(
      path.join(dir, 'cases.yaml'),
      `policy: policy.yaml
cases:
  - name: no preview yet
    request: { target: app-db, sql: "UPDATE t SET a = 1 WHERE id = 1" }
    expect: { effect: require_approval, rule: default }
  - name: a dry run counted one row
    request: { target: app-db, sql: "UPDATE t SET a = 1 WHERE id = 1", impact: { exact: true, rows: 1 } }
    expect: { effect: allow, rule: one-row-updates }
  - name: an estimate is not enough
    request: { target: app-db, sql: "UPDATE t SET a = 1 WHERE id = 1", impact: { estimatedRows: 1, rows: 1 } }
    expect: { effect: require_approval, rule: default }
`,
    );
    const { code, stdout } = policyCli('test', path.join(dir, 'cases.yaml'));
    assert.equal(code, 0, stdout);
    assert.match(stdout, /^3 passed, 0 failed/m);
    const check = policyCli(
      'check',
      '--policy',
      path.join(dir, 'policy.yaml'),
      '--request',
      '{"target":"app-db","sql":"UPDATE t SET a = 1 WHERE id = 1","impact":{"exact":true,"rows":1}}',
    );
    assert.match(check.stdout, /^maxRows: {3}1$/m);
    assert.match(check.stdout, /^ {2}impact\.rows = 1$/m);
  });

  test('bad input is a usage error (exit 2) naming the problem', () => {
    const badJson = policyCli('check', '--policy', 'config/policy.yaml', '--request', '{nope');
    assert.equal(badJson.code, 2);
    assert.match(badJson.stderr, /--request is not JSON/);
    const missing = policyCli('check', '--policy', 'config/policy.yaml', '--request', '{"sql":"SELECT 1"}');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /target: Invalid input/);
    const badPolicy = policyCli('check', '--policy', 'README.md', '--request', '{"target":"t","sql":"SELECT 1"}');
    assert.equal(badPolicy.code, 2);
    assert.match(badPolicy.stderr, /README\.md/);
  });
});
