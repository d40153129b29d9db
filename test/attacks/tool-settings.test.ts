// Class 136: a denied program, or a shell, run through a setting of npm or kubectl that names a command
// (ADR 110). Given for one command: npm's `--editor`, or `npm_config_editor` set by a wrapper, and
// `npm config edit` runs it. Saved for a later one: `npm config set editor=…` then `npm config edit`,
// `npm pkg set scripts.t=…` then `npm run t`, and `kubectl config set-credentials u --exec-command=…`
// then any kubectl command as `u`, which runs the credential plugin before it connects. No request
// holds a shell or the denied program as policy read it before. Policy denies `touch` and shells and
// lets everything else run. Each attempt is one or two commands sent as an agent, in a project
// directory of its own; it succeeds if the file the setting's command would create exists.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { denyListHost, skipWithout, tally, assertStillRun } from './support';

const host = denyListHost();

const skip = skipWithout(['npm', 'kubectl']);

/** npm in the project `dir`, its settings kept there (`--location=project`), not in the login's home. */
const npmIn = (dir: string, ...words: string[]) => ['env', '-C', dir, 'npm', ...words];
const editProjectSettings = (dir: string) => npmIn(dir, 'config', 'edit', '--location=project');

/** A credential plugin saved in the kubeconfig `dir/kc` for the user `u`, then a command as `u`. */
const kubeconfig = (dir: string) => `--kubeconfig=${path.join(dir, 'kc')}`;
const PLUGIN_VERSION = '--exec-api-version=client.authentication.k8s.io/v1beta1';
const asPluginUser = (dir: string) => [
  'kubectl',
  kubeconfig(dir),
  '--server=https://127.0.0.1:1',
  '--user=u',
  'get',
  'pods',
];

/** Each attempt: the commands it sends in order, in the project `dir`, to create `file`. */
const ATTEMPTS: ((dir: string, file: string) => string[][])[] = [
  (dir, file) => [npmIn(dir, `--editor=touch ${file}`, 'config', 'edit', '--location=project')],
  (dir, file) => [['env', '-C', dir, `npm_config_editor=touch ${file}`, 'npm', 'config', 'edit', '--location=project']],
  (dir, file) => [npmIn(dir, 'config', 'set', '--location=project', `editor=touch ${file}`), editProjectSettings(dir)],
  (dir, file) => [npmIn(dir, 'set', '--location=project', 'editor', `touch ${file}`), editProjectSettings(dir)],
  (dir, file) => [npmIn(dir, 'pkg', 'set', `scripts.t=touch ${file}`), npmIn(dir, 'run', 't')],
  (dir, file) => [
    [
      'kubectl',
      kubeconfig(dir),
      'config',
      'set-credentials',
      'u',
      '--exec-command=touch',
      `--exec-arg=${file}`,
      PLUGIN_VERSION,
    ],
    asPluginUser(dir),
  ],
  (dir, file) => [
    [
      'kubectl',
      'config',
      'set-credentials',
      'u',
      kubeconfig(dir),
      '--exec-arg',
      file,
      '--exec-command',
      '/usr/bin/touch',
      PLUGIN_VERSION,
    ],
    asPluginUser(dir),
  ],
];

/** A project directory of the host's user's own, holding a package.json, as an earlier request could leave it. */
function leaveProject(dir: string, username: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'project', version: '1.0.0' }));
  execFileSync('chown', ['-R', username, dir]);
}

test('no setting npm or kubectl is given or saves runs a denied program or a shell', { skip }, async () => {
  const workDir = host().workDir;
  const walkedAround: string[] = [];
  for (const [index, attempt] of ATTEMPTS.entries()) {
    const dir = path.join(workDir, `tool-project-${index}`);
    const file = path.join(workDir, `tool-setting-${index}`);
    leaveProject(dir, host().username);
    const commands = attempt(dir, file);
    for (const argv of commands) await host().run(argv);
    if (existsSync(file)) walkedAround.push(commands[0]!.join(' ').replaceAll(workDir, 'DIR'));
  }
  tally('tool-settings', ATTEMPTS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test(
  'the decision names the reading; npm and kubectl still read settings, and kubectl saves others',
  { skip },
  async () => {
    const dir = path.join(host().workDir, 'tool-project-plain');
    leaveProject(dir, host().username);
    const denied = await host().run(npmIn(dir, 'pkg', 'set', 'scripts.t=echo saved'));
    assert.deepEqual([denied.status, denied.rule], ['denied', 'no-shells']);
    assert.match(denied.explanation, /a shell line, run through env, npm \(ADR 086\)/);
    // Stricter, as git config is (ADR 098): every value npm saves is read, since npm says which run.
    const saved = await host().run(npmIn(dir, 'config', 'set', '--location=project', 'loglevel=warn'));
    assert.deepEqual([saved.status, saved.rule], ['denied', 'no-shells']);
    await assertStillRun(host(), [
      npmIn(dir, 'config', 'get', 'loglevel', '--location=project'),
      npmIn(dir, 'pkg', 'get', 'name'),
      ['kubectl', kubeconfig(dir), 'config', 'set-credentials', 'u', '--token=not-a-secret'],
      ['kubectl', kubeconfig(dir), 'config', 'view'],
    ]);
  },
);
