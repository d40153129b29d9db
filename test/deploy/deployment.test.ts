// docker-compose.yml cannot run here (no Docker engine), so this keeps it honest against the code.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { SETTING_NAMES } from '../../config/env';
import { searchAttributes } from '../../temporal/contract';

const root = path.join(__dirname, '../..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<
    string,
    {
      command?: string[] | string;
      environment?: Record<string, string>;
      build?: string;
      ports?: string[];
      volumes?: string[];
    }
  >;
};
const ourServices = Object.entries(compose.services).filter(([, service]) => service.build === '.');
/** Read by Node.js itself rather than by our settings. */
const READ_BY_NODE = ['NODE_OPTIONS'];
const scripts = (
  JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;

test('our services set only variables the code reads, and every one it requires', () => {
  assert.deepEqual(ourServices.map(([name]) => name).sort(), ['api-1', 'api-2', 'executor', 'migrate', 'worker']);
  for (const [name, service] of ourServices) {
    const variables = Object.keys(service.environment ?? {});
    for (const variable of variables)
      assert.ok(
        SETTING_NAMES.includes(variable) || READ_BY_NODE.includes(variable),
        `${name} sets ${variable}, which nothing reads`,
      );
    for (const required of ['DATABASE_URL', 'TEMPORAL_ADDRESS'])
      assert.ok(variables.includes(required), `${name} lacks ${required}`);
  }
  assert.equal(compose.services.worker?.environment?.WORKER_ROLE, 'orchestrator');
  assert.equal(compose.services.executor?.environment?.WORKER_ROLE, 'executor');
  assert.equal(compose.services.worker?.environment?.TARGETS_FILE, undefined, 'only the executor reads the targets');
});

test('commands are package scripts and configured files exist in the image or are mounted', () => {
  for (const [name, service] of ourServices) {
    const command = service.command as string[];
    assert.equal(command[0], 'npm');
    assert.ok(scripts[command[2]!], `${name} runs npm run ${command[2]}, which package.json lacks`);
    for (const [variable, value] of Object.entries(service.environment ?? {})) {
      // Migrations read no files; the executor reads no principals (it runs only what was approved).
      if (!variable.endsWith('_FILE') || name === 'migrate' || (name === 'executor' && variable === 'PRINCIPALS_FILE'))
        continue;
      if (value.startsWith('/run/')) {
        assert.ok(
          (service.volumes ?? []).some((volume) => volume.endsWith(`:${value}:ro`)),
          `${name}: ${variable}=${value} is not mounted read-only`,
        );
      } else {
        assert.ok(
          existsSync(path.join(root, value.replace(/^\/app\//, ''))),
          `${name}: ${variable}=${value} is not in the repository`,
        );
      }
    }
  }
});

test('only the load balancer is published on the network; Temporal binds to loopback; the image ships no principals', () => {
  for (const [name, service] of Object.entries(compose.services)) {
    for (const port of service.ports ?? []) {
      if (name === 'load-balancer') continue;
      assert.match(port, /^127\.0\.0\.1:/, `${name} publishes ${port} beyond loopback`);
    }
  }
  assert.deepEqual(compose.services['load-balancer']?.ports, ['8080:8080']);
  const ignored = readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n');
  assert.ok(ignored.includes('config/principals.yaml'), 'the image would ship the demo principals');
  for (const api of ['api-1', 'api-2'])
    assert.match(compose.services[api]?.environment?.PRINCIPALS_FILE ?? '', /^\/run\//, api);
});

test('migrations run as the schema owner, the gate as gate_app, the demo target as its own role', () => {
  const user = (url: string | undefined) => /^postgres:\/\/([^:@]+)[:@]/.exec(url ?? '')?.[1];
  assert.equal(user(compose.services.migrate?.environment?.DATABASE_URL), 'gate_owner');
  for (const name of ['api-1', 'api-2', 'worker', 'executor'])
    assert.equal(user(compose.services[name]?.environment?.DATABASE_URL), 'gate_app', name);
  assert.equal(user(compose.services.executor?.environment?.DEMO_DB_URL), 'approval_gate_demo_executor');
  const init = readFileSync(path.join(root, 'deploy/postgres-init.sql'), 'utf8');
  assert.match(init, /CREATE ROLE gate_app LOGIN PASSWORD :'gate_app_password' IN ROLE approval_gate_app;/);
  assert.doesNotMatch(init, /gate_app[^;]*SUPERUSER|gate_app[^;]*approval_gate_audit_owner/);
});

test('the search attributes the workflow sets are the ones compose registers', () => {
  const command = String((compose.services['temporal-search-attributes']?.command as string[])[0]);
  const registered = [...command.matchAll(/--name (\w+) --type Keyword/g)].map((match) => match[1]).sort();
  assert.deepEqual(
    registered,
    Object.values(searchAttributes)
      .map((key) => key.name)
      .sort(),
  );
});

test('the README documents every environment variable', () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  for (const name of SETTING_NAMES)
    assert.match(readme, new RegExp(`\\| \`${name}\` \\|`), `README lacks a row for ${name}`);
});

test('every script a command or the code names by path exists (moves leave none behind)', () => {
  const named = new Set<string>();
  for (const command of Object.values(scripts))
    for (const match of command.matchAll(/(?<![\w./-])([\w./-]+\.ts)\b/g)) named.add(match[1]!);
  const sources = execFileSync('git', ['ls-files', '*.ts'], { cwd: root, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  for (const source of sources) {
    for (const match of readFileSync(path.join(root, source), 'utf8').matchAll(/['"`]((?:[\w-]+\/)+[\w-]+\.ts)['"`]/g))
      named.add(match[1]!);
  }
  const missing = [...named].filter((file) => !existsSync(path.join(root, file)) && !file.startsWith('./'));
  assert.deepEqual(missing, []);
  assert.ok(
    named.has('tools/bench/baseline-worker.ts') && named.has('tools/stack/start-stack.ts'),
    'the search found the scripts',
  );
});
