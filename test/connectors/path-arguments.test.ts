// How the ssh connector reads a path argument (ADR 088): in its plain form, as the kernel resolves
// `//`, `.`, `..`, a trailing `/` and `/proc/self/root`, alone or as an option's value, and how a
// rule on a path then decides. Pure logic: nothing is run.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { plainPathArgument } from '../../connectors/ssh/path-arguments';
import { sshDecider, sshReadings } from '../support/ssh-readings';

describe('path arguments in plain form', () => {
  test('each spelling of a path is read as the path the kernel opens', () => {
    const cases: [string, string][] = [
      ['/etc//shadow', '/etc/shadow'],
      ['//etc/shadow', '/etc/shadow'],
      ['/etc/./shadow', '/etc/shadow'],
      ['/etc/x/../shadow', '/etc/shadow'],
      ['/../etc/shadow', '/etc/shadow'],
      ['/etc/cron.d/', '/etc/cron.d'],
      ['/proc/self/root/etc/shadow', '/etc/shadow'],
      ['/proc/thread-self/root//etc/shadow', '/etc/shadow'],
      ['/proc/1/root/proc/self/root/etc', '/etc'],
      ['--target-directory=/etc//cron.d', '--target-directory=/etc/cron.d'],
      ['-t/etc/./cron.d', '-t/etc/cron.d'],
      ['of=/etc//cron.d/job', 'of=/etc/cron.d/job'],
    ];
    for (const [written, plain] of cases) assert.equal(plainPathArgument(written), plain, written);
  });

  test('words that are not absolute paths, and plain ones, are left as they are', () => {
    for (const word of ['/etc/shadow', '/', 'etc/../shadow', '../x', '-rf', '--x=y', 'restart']) {
      assert.equal(plainPathArgument(word), word);
    }
    assert.deepEqual(sshReadings(['cat', '/etc/hostname'], ['/etc/']), []);
    assert.deepEqual(sshReadings(['dd', 'of=/etc//hosts'], ['/etc/']), ['dd of=/etc/hosts /etc/hosts']);
    // A policy that spells no path reads no path another way: the reading would cost and change nothing.
    assert.deepEqual(sshReadings(['dd', 'of=/etc//hosts'], ['-rf']), []);
  });

  test('a rule on a path decides every spelling of it, naming the plain one', () => {
    const decide = sshDecider(`version: 1
default: { effect: allow }
rules:
  - name: no-shadow
    when: ssh.args.exists(a, a == "/etc/shadow" || a.startsWith("/etc/cron.d/"))
    effect: deny
    reason: not through the gate
`);
    for (const argv of [
      ['cat', '/etc//shadow'],
      ['cat', '/proc/self/root/etc/shadow'],
      ['env', 'cat', '/etc/x/../shadow'],
      ['cp', '/tmp/job', '/etc/./cron.d/job'],
      ['/bin/cat', '//etc/shadow'],
      // A path an option holds is read as a word of its own too, plain or not.
      ['dd', 'if=/tmp/job', 'of=/etc/cron.d/job'],
      ['install', '-D', '--target-directory=/etc//cron.d/x', '/tmp/job'],
    ])
      assert.equal(decide(argv).rule, 'no-shadow', argv.join(' '));
    assert.match(
      decide(['cat', '/etc//shadow']).explanation,
      /as cat \/etc\/shadow, its paths in their plain form \(ADR 088\)/,
    );
    assert.equal(decide(['cat', '/etc//hostname']).effect, 'allow');
  });
});
