// How the ssh connector reads a symbolic link a command makes (ADR 092): its target from the link's
// directory, and a link into, at or above a path a rule spells read as reaching it. Pure logic:
// nothing is run.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { piecesThroughLinks } from '../../connectors/ssh/symbolic-links';
import { PROTECTED_DIRECTORY_POLICY, sshDecider } from '../support/ssh-readings';

const PIECES = ['/srv/app/protected/'];
const reaches = (argv: string[], directories: string[] = ['/']) =>
  piecesThroughLinks(argv[0]!, argv.slice(1), directories, PIECES).length > 0;

describe('where a symbolic link leads', () => {
  test("a link's target is read from the link's directory, and one at, into or above the path counts", () => {
    for (const argv of [
      ['ln', '-s', '../protected', '/srv/app/x/in'],
      ['ln', '-s', '..', '/srv/app/x/up'],
      ['ln', '-s', '../../..', '/srv/app/x/y/root'],
      ['ln', '-sf', '../protected/a', '/srv/app/x/a'],
      ['ln', '--symbolic', '/srv/app', '/tmp/app'],
      ['ln', '--sym', '/', '/tmp/root'],
      ['ln', '-s', '-t', '/srv/app/x', '../protected'],
      ['ln', '-st/srv/app/x', '../protected'],
      ['ln', '-s', '--target-directory=/srv/app/x', '..'],
      // The last operand may be a directory the link is made in.
      ['ln', '-s', '../app/protected', '/srv/links'],
    ])
      assert.ok(reaches(argv), argv.join(' '));
    // One operand: the link is made where ln works.
    assert.ok(reaches(['ln', '-s', 'app/protected'], ['/', '/srv']));
  });

  test('hard links, links that lead elsewhere, and other programs reach nothing', () => {
    for (const argv of [
      ['ln', '../protected', '/srv/app/x/in'],
      ['ln', '-s', '../elsewhere', '/srv/app/x/in'],
      ['ln', '-s', '/srv/app/elsewhere', '/tmp/e'],
      ['cp', '-s', '..', '/srv/app/x/up'],
    ])
      assert.equal(reaches(argv), false, argv.join(' '));
  });

  test('a rule on a path decides a link that leads to it, naming the reading', () => {
    // From `/`, `..` would lead to the root, which holds the login's files (ADR 107).
    const decide = sshDecider(PROTECTED_DIRECTORY_POLICY, '/srv/app');
    for (const argv of [
      ['ln', '-s', '../protected', '/srv/app/x/in'],
      ['ln', '-s', '..', '/srv/app/x/up'],
      ['env', '-C', '/srv/app/x', 'ln', '-s', '..', 'up'],
    ])
      assert.equal(decide(argv).rule, 'protected-directory', argv.join(' '));
    assert.match(
      decide(['ln', '-s', '..', '/srv/app/x/up']).explanation,
      /as ln -s \.\. \/srv\/app\/x\/up \/srv\/app\/protected\/, with where its links lead \(ADR 092\)/,
    );
    assert.equal(decide(['ln', '-s', '../elsewhere', '/srv/app/x/e']).rule, 'default');
  });
});
