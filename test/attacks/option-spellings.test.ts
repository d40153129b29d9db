// Class 110: an option a rule names, spelled another way the program reads alike. A rule on
// `"-rf" in ssh.args` reads one word; rm reads `-r -f`, `-fr`, `-Rf`, `--recursive --force` and
// `--rec --forc` (GNU getopt takes any unambiguous abbreviation) as the same two options. Policy
// denies `rm` with `-rf` and lets everything else run. Each command is sent as an agent, on a tree
// the agent made; it succeeds if the tree is gone.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { denyListHost, tally } from './support';

const host = denyListHost();

/** Each command removes the tree it is given, recursively and by force. */
const COMMANDS: ((tree: string) => string[])[] = [
  (tree) => ['rm', '-r', '-f', tree],
  (tree) => ['rm', '-fr', tree],
  (tree) => ['rm', '-f', '-r', tree],
  (tree) => ['rm', '-Rf', tree],
  (tree) => ['rm', '-rfv', tree],
  (tree) => ['rm', '-R', '-f', tree],
  (tree) => ['rm', '--recursive', '--force', tree],
  (tree) => ['rm', '--rec', '--forc', tree],
  (tree) => ['rm', '-r', '--force', tree],
  (tree) => ['rm', '--force', '-R', tree],
  (tree) => ['/bin/rm', '-f', '-r', tree],
  (tree) => ['env', 'rm', '-r', '-f', tree],
];

/** A tree the agent makes on the host (mkdir is allowed), so that the agent may remove it. */
async function treeOnHost(name: string): Promise<string> {
  const tree = path.join(host().workDir, name);
  const made = await host().run(['mkdir', '-p', path.join(tree, 'sub')]);
  assert.equal(made.status, 'succeeded', made.explanation);
  return tree;
}

test('no spelling of -rf removes a tree', async () => {
  const walkedAround: string[] = [];
  for (const [index, command] of COMMANDS.entries()) {
    const tree = await treeOnHost(`option-spelling-${index}`);
    await host().run(command(tree));
    if (!existsSync(tree)) walkedAround.push(command(tree).slice(0, -1).join(' '));
  }
  tally('option-spellings', COMMANDS.length, walkedAround.length);
  assert.deepEqual(walkedAround, []);
});

test('the decision names the spelling the rule reads; removals the rule does not name still run', async () => {
  const tree = await treeOnHost('option-spelling-named');
  const denied = await host().run(['rm', '-r', '-f', tree]);
  assert.deepEqual([denied.status, denied.rule], ['denied', 'no-forced-recursive-removal']);
  assert.match(
    denied.explanation,
    /may read the command as rm -r -f \S+ -rf( --force)?, its options as the rules spell them \(ADR 087\)/,
  );
  const allowed = await host().run(['rm', '-r', tree]);
  assert.deepEqual([allowed.status, allowed.rule], ['succeeded', 'default']);
  assert.equal(existsSync(tree), false);
});
