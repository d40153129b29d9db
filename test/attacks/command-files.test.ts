// Class 139: a denied program, or a shell, run from a file a program takes its commands or its
// settings from (ADR 113). ADR 111 reads a script and a makefile as code; `psql -f`, `sqlite3
// -init`, `gdb -x` and `vim -S` run what their file holds too (`\!`, `.shell`, `shell`, `system()`),
// and a settings file an option names may name a command: `ssh -F`'s ProxyCommand, a kubeconfig's
// credential plugin (run before kubectl connects), npm's editor in `--userconfig` or in the project's
// own `.npmrc`, node's NODE_OPTIONS in an `--env-file`. The first attempt writes its file through the
// gate (`ssh-keygen -C` puts a newline and a psql command into the `.pub` file, and psql runs the
// lines after the one it cannot parse); the others run files left in the work directory, as an
// earlier request could leave them. Policy denies `touch` and shells and lets everything else run.
// Each attempt succeeds if the file its command would create exists.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { denyListHost, tally, assertStillRun } from './support';

const host = denyListHost();

const PSQL = ['psql', '-X', '-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres'];

/**
 * Each attempt: the files it leaves in the work directory `dir` (`leave`: name → text), then the
 * commands it sends in order, on `web-2` (they start in `dir`), to create `file`.
 */
interface Attempt {
  leave?: (dir: string, file: string) => Record<string, string>;
  steps: (dir: string, file: string) => string[][];
}

const ATTEMPTS: Attempt[] = [
  {
    steps: (dir, file) => [
      ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `x\n\\! touch ${file}`, '-f', path.join(dir, 'key-0')],
      [...PSQL, '-f', 'key-0.pub'],
    ],
  },
  {
    leave: (_, file) => ({ 'x-1.sql': `.shell touch ${file}\n` }),
    steps: () => [['sqlite3', '-init', 'x-1.sql', ':memory:', 'SELECT 1']],
  },
  {
    leave: (_, file) => ({ 'x-2.gdb': `shell touch ${file}\n` }),
    steps: () => [['gdb', '-batch', '--command=x-2.gdb']],
  },
  {
    leave: (_, file) => ({ 'x-3.vim': `call system('touch ${file}')\nqa!\n` }),
    steps: () => [['vim', '-es', '-S', 'x-3.vim']],
  },
  {
    leave: (_, file) => ({ 'x-4.vim': `call system('touch ${file}')\nqa!\n` }),
    steps: () => [['vim', '-es', '-u', 'x-4.vim']],
  },
  {
    leave: (_, file) => ({ 'x-5.cfg': `Host *\n  ProxyCommand touch ${file}\n` }),
    steps: () => [['ssh', '-F', 'x-5.cfg', 'nowhere.invalid']],
  },
  {
    leave: (_, file) => ({
      'x-6.yaml': [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
        `users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: touch, args: [${JSON.stringify(file)}], interactiveMode: Never}}}]`,
        'contexts: [{name: x, context: {cluster: c, user: u}}]',
        'current-context: x',
      ].join('\n'),
    }),
    steps: () => [['kubectl', '--kubeconfig=x-6.yaml', 'get', 'pods']],
  },
  {
    leave: (_, file) => ({ 'x-7.npmrc': `editor=touch ${file}\n` }),
    steps: (dir) => [['npm', `--userconfig=${dir}/x-7.npmrc`, 'config', 'edit']],
  },
  {
    leave: (_, file) => ({
      'project-8/package.json': JSON.stringify({ name: 'project', version: '1.0.0' }),
      'project-8/.npmrc': `editor=touch ${file}\n`,
    }),
    steps: (dir) => [['env', '-C', path.join(dir, 'project-8'), 'npm', 'config', 'edit', '--location=project']],
  },
  {
    leave: (dir, file) => ({
      'x-9.js': `require('node:fs').writeFileSync(${JSON.stringify(file)}, '');\n`,
      'x-9.env': `NODE_OPTIONS=--require ${dir}/x-9.js\n`,
    }),
    steps: () => [['node', '--env-file=x-9.env', '/usr/bin/npm', '--version']],
  },
];

test('no file of commands or settings outside where the target keeps code runs a denied program or a shell', async () => {
  const dir = host().workDir;
  const walkedAround: string[] = [];
  for (const [index, attempt] of ATTEMPTS.entries()) {
    const file = path.join(dir, `command-file-${index}`);
    const left = attempt.leave?.(dir, file) ?? {};
    for (const [name, text] of Object.entries(left)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), text);
    }
    // The login's own, as files it wrote would be.
    const tops = [...new Set(Object.keys(left).map((name) => path.join(dir, name.split('/')[0]!)))];
    if (tops.length > 0) execFileSync('chown', ['-R', host().username, ...tops]);
    const steps = attempt.steps(dir, file);
    for (const argv of steps) await host().run(argv, 'web-2');
    if (existsSync(file)) walkedAround.push(steps[steps.length - 1]!.join(' ').replaceAll(dir, 'DIR'));
  }
  tally('command-files', ATTEMPTS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names the file; the same programs without one, or with the system’s, still run', async () => {
  const denied = await host().run(['sqlite3', '-init', 'x-1.sql', ':memory:', 'SELECT 1'], 'web-2');
  assert.deepEqual([denied.status, denied.rule], ['denied', 'no-shells']);
  assert.match(
    denied.explanation,
    /it takes commands or settings from .*\/x-1\.sql, outside where the target keeps code \(ADR 113\)/,
  );
  await assertStillRun(
    host(),
    [
      [...PSQL, '-c', 'SELECT 1'],
      ['sqlite3', ':memory:', 'SELECT 1'],
      ['gdb', '-batch', '-nx', '--version'],
      ['kubectl', '--kubeconfig=x-6.yaml', 'config', 'view'],
      ['npm', 'config', 'get', 'loglevel'],
    ],
    'web-2',
  );
});
