// How the ssh connector reads a file mode the rules spell another way (ADR 089): chmod's numbers
// with leading zeros and symbolic modes that set every bit for certain, mkdir's and install's
// `-m`, and the modes it does not take for one (those that leave a bit as the file has it).
// Pure logic: nothing is run.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { modeSpellingsImplied } from '../../connectors/ssh/file-modes';
import { sshDecider } from '../support/ssh-readings';

const RULES = ['777', '0644', '-rf'];
const implied = (argv: string[]) => modeSpellingsImplied(argv[0]!, argv.slice(1), RULES);

describe('file modes as the rules spell them', () => {
  test('a mode that sets the same permissions for certain is read as the rules spell it', () => {
    const cases: [string[], string[]][] = [
      [['chmod', '0777', 'x'], ['777']],
      [['chmod', '00777', 'x'], ['777']],
      [['chmod', '1777', 'x'], ['777']],
      [['chmod', 'a+rwx', 'x'], ['777']],
      [['chmod', '+rwx', 'x'], ['777']],
      [['chmod', 'ugo=rwx', 'x'], ['777']],
      [['chmod', 'u=rwx,g=rwx,o=rwx', 'x'], ['777']],
      [['chmod', '-R', 'a=rwX', 'dir'], ['777']],
      [['chmod', 'a=r,u+w', 'x'], ['0644']],
      [['chmod', '644', 'x'], ['0644']],
      [['mkdir', '--mode=a+rwx', 'd'], ['777']],
      [['mkdir', '--mo', '0777', 'd'], ['777']],
      [['mkdir', '-pm0777', 'd'], ['777']],
      [['install', '-d', '-m', 'ugo=rwx', 'd'], ['777']],
      // ADR 100: what tar archives and rsync copies, rsync's values in turn and by kind.
      [['tar', '--mode=a+rwx', '-cf', 'a.tar', 'f'], ['777']],
      [['tar', '-c', '--mod', 'ugo=rwx', '-f', 'a.tar', 'f'], ['777']],
      [['rsync', '-a', '--chmod=a+rwx', 'src/', 'dst/'], ['777']],
      [['rsync', '-rp', '--chmod=D777,F777', 'src/', 'dst/'], ['777']],
      [['rsync', '-rp', '--chmod=D2777', 'src/', 'dst/'], ['777']],
      [['rsync', '-a', '--chmod=u=rwx', '--chmod=go=rwx', 'src/', 'dst/'], ['777']],
      [
        ['rsync', '-a', '--chm', 'Dugo=rwx,Fa=r,Fu+w', 'src/', 'dst/'],
        ['777', '0644'],
      ],
    ];
    for (const [argv, expected] of cases) assert.deepEqual(implied(argv), expected, argv.join(' '));
  });

  test('a mode that leaves a bit as the file has it, or is written as the rules spell it, adds nothing', () => {
    for (const argv of [
      ['chmod', 'o+w', 'x'],
      ['chmod', 'a+rw', 'x'],
      ['chmod', 'g=u', 'x'],
      ['chmod', '777', 'x'],
      ['chmod', '755', 'x'],
      ['mkdir', '-p', 'd'],
      ['cp', '0777', 'x'],
      ['tar', '-m', '0777', '-xf', 'a.tar'],
      ['rsync', '-a', '--chmod=Fo+w', 'src/', 'dst/'],
      ['rsync', '-m', '-a', 'src/', 'dst/'],
    ])
      assert.deepEqual(implied(argv), [], argv.join(' '));
  });

  test('a rule on 777 denies every spelling of it, naming the one it reads', () => {
    const decide = sshDecider(`version: 1
default: { effect: allow }
rules:
  - name: no-world-writable
    when: request.connector == "ssh" && "777" in ssh.args
    effect: deny
    reason: nothing is made world-writable
`);
    for (const argv of [
      ['chmod', 'a+rwx', 'x'],
      ['/bin/chmod', '0777', 'x'],
      ['env', 'chmod', '-R', 'ugo=rwx', 'd'],
      ['mkdir', '--mode=0777', 'd'],
    ])
      assert.equal(decide(argv).rule, 'no-world-writable', argv.join(' '));
    assert.match(
      decide(['chmod', 'a+rwx', 'x']).explanation,
      /as chmod a\+rwx x 777, its mode as the rules spell it \(ADR 089\)/,
    );
    assert.equal(decide(['chmod', 'o+w', 'x']).effect, 'allow');
  });
});
