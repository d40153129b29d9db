// How the ssh connector reads an option the rules spell another way (ADR 087): short options in any
// cluster and order, long ones abbreviated, a program's names for one option, and where that stops
// (after `--`, in programs whose options are whole words). Pure logic: nothing is run.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { optionSpellingsImplied } from '../../connectors/ssh/option-spellings';
import { sshDecider } from '../support/ssh-readings';

const RULES = ['-rf', '-f', '--force', '--recursive', '-y', 'restart', '-delete'];
const implied = (argv: string[]) => optionSpellingsImplied(argv[0]!, argv.slice(1), RULES);

describe('options as the rules spell them', () => {
  test('a cluster the rules spell is read in any arrangement of its letters, and of their other names', () => {
    const cases: [string[], string[]][] = [
      [
        ['rm', '-r', '-f', 'x'],
        ['-rf', '--force', '--recursive'],
      ],
      [
        ['rm', '-fr', 'x'],
        ['-rf', '-f', '--force', '--recursive'],
      ],
      [
        ['rm', '-Rf', 'x'],
        ['-rf', '-f', '--force', '--recursive'],
      ],
      [
        ['rm', '-rfv', 'x'],
        ['-rf', '-f', '--force', '--recursive'],
      ],
      [
        ['rm', '--recursive', '--force', 'x'],
        ['-rf', '-f'],
      ],
      [
        ['rm', '--rec', '--forc', 'x'],
        ['-rf', '-f', '--force', '--recursive'],
      ],
      [
        ['rm', '--force', '-R', 'x'],
        ['-rf', '-f', '--recursive'],
      ],
      [['apt-get', '--assume-yes', 'install', 'x'], ['-y']],
      [['git', 'push', '--force', 'origin'], ['-f']],
      [['git', 'push', '-f', 'origin'], ['--force']],
    ];
    for (const [argv, expected] of cases) assert.deepEqual(implied(argv), expected, argv.join(' '));
  });

  test('nothing is added for options the command lacks, after `--`, or where options are whole words', () => {
    assert.deepEqual(implied(['rm', '-r', 'x']), ['--recursive']);
    assert.deepEqual(implied(['rm', '-rf', 'x']), ['-f', '--force', '--recursive']);
    assert.deepEqual(implied(['rm', '--', '-r', '-f']), []);
    assert.deepEqual(implied(['find', '.', '-rf']), []);
    assert.deepEqual(implied(['find', '.', '-name', 'x', '-delete']), []);
    // Without a table of its names, a program's long options mean only themselves.
    assert.deepEqual(implied(['mytool', '--force']), []);
    assert.deepEqual(implied(['mytool', '-r', '-f']), ['-rf']);
  });

  test('a signal the rules spell is read in every spelling kill reads alike', () => {
    const rules = ['-9', '-HUP', '-rf'];
    for (const args of [
      ['-KILL', '42'],
      ['-SIGKILL', '42'],
      ['-kill', '42'],
      ['-s', 'KILL', '42'],
      ['-s', '9', '42'],
      ['-sKILL', '42'],
      ['--signal', 'kill', '42'],
      ['--signal=SIGKILL', '42'],
      // A number as strtol reads it (ADR 101).
      ['-s', '+9', '42'],
      ['-s', ' 9', '42'],
      ['-s', '\t+09', '42'],
      ['-+9', '42'],
      ['- 9', '42'],
      ['-009', '42'],
      ['--signal=+9', '42'],
    ])
      assert.deepEqual(optionSpellingsImplied('kill', args, rules), ['-9'], args.join(' '));
    assert.deepEqual(optionSpellingsImplied('pkill', ['--signal', 'SIGHUP', 'nginx'], rules), ['-HUP']);
    assert.deepEqual(optionSpellingsImplied('kill', ['-s', 'TERM', '42'], rules), []);
    assert.deepEqual(optionSpellingsImplied('kill', ['-l', '9'], rules), []);
    for (const value of ['9x', '9 ', '0x9', '4294967305', '+-9'])
      assert.deepEqual(optionSpellingsImplied('kill', ['-s', value, '42'], rules), [], value);
    // Only programs that send signals read them so.
    assert.deepEqual(optionSpellingsImplied('mytool', ['-KILL'], rules), []);
  });

  test('a force git push is read as --force however it forces', () => {
    const rules = ['--force', '-f'];
    for (const args of [
      ['push', 'origin', '+main'],
      ['-C', 'repo', 'push', 'origin', '+HEAD:refs/heads/main'],
      ['push', '--mirror', 'backup'],
      ['push', '--force-with-lease', 'origin', 'main'],
      ['push', '--force-with-lease=main:abc123', 'origin', 'main'],
    ])
      assert.deepEqual(optionSpellingsImplied('git', args, rules), ['--force', '-f'], args.join(' '));
    assert.deepEqual(optionSpellingsImplied('git', ['push', 'origin', 'main'], rules), []);
    assert.deepEqual(optionSpellingsImplied('git', ['fetch', 'origin', '+main:main'], rules), []);
  });

  test('a rule on -rf denies every spelling, naming the one it reads, and allows what it does not name', () => {
    const decide = sshDecider(`version: 1
default: { effect: allow }
rules:
  - name: no-forced-recursive-removal
    when: ssh.program == "rm" && "-rf" in ssh.args
    effect: deny
    reason: trees are removed by the cleanup job
`);
    for (const argv of [
      ['rm', '-r', '-f', 'x'],
      ['/bin/rm', '--recursive', '--force', 'x'],
      ['env', 'rm', '-fR', 'x'],
      ['sudo', '-u', 'deploy', 'rm', '--force', '-r', 'x'],
    ])
      assert.equal(decide(argv).rule, 'no-forced-recursive-removal', argv.join(' '));
    assert.match(
      decide(['rm', '-r', '-f', 'x']).explanation,
      /as rm -r -f x -rf, its options as the rules spell them \(ADR 087\)/,
    );
    assert.equal(decide(['rm', '-r', 'x']).effect, 'allow');
  });
});
