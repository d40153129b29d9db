// How the ssh connector finds one option among a command's words in every spelling getopt takes
// (ADR 093): long names and their abbreviations, values after `=` or in the next word, and a short
// letter anywhere in a cluster, where a letter before it may have taken it. Pure logic: nothing is run.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { directoriesMovedTo, MAX_DIRECTORIES_MOVED_TO } from '../../connectors/ssh/landing-paths';
import { optionNamed, optionValues } from '../../connectors/ssh/option-words';
import { PROTECTED_DIRECTORY_POLICY, analyseArgv, sshDecider, sshReadings } from '../support/ssh-readings';

describe('an option in every spelling', () => {
  test('a word names an option as getopt reads it', () => {
    const names = ['-C', '--chdir'];
    assert.deepEqual(optionNamed('-C', names), { name: '-C' });
    assert.deepEqual(optionNamed('-Cdir', names), { name: '-C', attached: 'dir' });
    assert.deepEqual(optionNamed('-iC', names), { name: '-C', uncertain: true });
    assert.deepEqual(optionNamed('-iCdir', names), { name: '-C', attached: 'dir', uncertain: true });
    // An abbreviation may be another option's whole name (ADR 106): its next word is read as itself too.
    assert.deepEqual(optionNamed('--ch', names), { name: '--chdir', uncertain: true });
    assert.deepEqual(optionNamed('--chdir', names), { name: '--chdir' });
    assert.deepEqual(optionNamed('--chdir=', names), { name: '--chdir', attached: '' });
    assert.deepEqual(optionNamed('--chdir=a=b', names), { name: '--chdir', attached: 'a=b' });
    for (const word of ['-i', 'C', '--Cx', '--cd', '-', '--']) assert.equal(optionNamed(word, names), undefined, word);
    assert.deepEqual(optionNamed('-TT', ['-TT']), { name: '-TT' });
    assert.deepEqual(optionNamed('+!cmd', ['+']), { name: '+', attached: '!cmd' });
  });

  test("an uncertain letter's next word is read as its value and as itself", () => {
    assert.deepEqual(optionValues(['-iC', 'a', 'x'], ['-C']), [{ name: '-C', value: 'a', uncertain: true }]);
    // `env -uC -C b`: -u takes `C`, so the real option is the next word, which is read too.
    assert.deepEqual(optionValues(['-uC', '-C', 'b'], ['-C']), [
      { name: '-C', value: '-C', uncertain: true },
      { name: '-C', value: 'b' },
    ]);
    // A certain option takes its next word, which is then not read as an option.
    assert.deepEqual(optionValues(['-C', '-C', 'b'], ['-C']), [{ name: '-C', value: '-C' }]);
    assert.deepEqual(optionValues(['-C'], ['-C']), []);
    // rsync's `--backup` is its own option, not `--backup-dir` abbreviated: the next word is read too.
    assert.deepEqual(optionValues(['--backup', '--backup-dir=../x', 'src/'], ['--backup-dir']), [
      { name: '--backup-dir', value: '--backup-dir=../x', uncertain: true },
      { name: '--backup-dir', value: '../x' },
    ]);
  });

  test('a directory option in a cluster moves the command, and so does the reading without it', () => {
    assert.deepEqual(directoriesMovedTo('env', ['-iC', '/srv/app', 'mkdir', 'a'], '/'), ['/srv/app']);
    assert.deepEqual(directoriesMovedTo('patch', ['-sd/srv', '-o', 'x'], '/'), ['/srv']);
    // After an uncertain option, a relative one is read from both where it may and may not have moved.
    assert.deepEqual(directoriesMovedTo('env', ['-iC', '/srv', '-C', 'app', 'x'], '/'), ['/srv', '/app', '/srv/app']);
    // Each uncertain relative option may double the directories: past a bound, the command is not read.
    const doubling = Array.from({ length: 7 }, (_, index) => [`-iC`, `d${index}`]).flat();
    assert.equal(directoriesMovedTo('env', doubling, '/'), undefined);
    assert.ok(MAX_DIRECTORIES_MOVED_TO < 2 ** 7);
    const analysis = (() => {
      try {
        return analyseArgv(['env', ...doubling, 'mkdir', 'a'], ['/srv/app/protected/']);
      } catch (error) {
        return error as Error;
      }
    })();
    assert.match(String(analysis), /more than 64 directories \(ADR 093\)/);
  });

  test('a rule on a path decides a command moved by a clustered option', () => {
    const decide = sshDecider(PROTECTED_DIRECTORY_POLICY);
    for (const argv of [
      ['env', '-iC', '/srv/app', 'mkdir', 'protected/a'],
      ['env', '-vC/srv/app', 'mkdir', 'protected/a'],
      ['nice', 'env', '-ivC', '/srv/app/x', 'mkdir', '../protected/a'],
      ['env', '-C', '/srv/app/x', 'env', '-iC', '..', 'mkdir', 'protected/a'],
      ['patch', '-sd', '/srv/app', '-o', 'protected/a', 'original', '/tmp/change.diff'],
      ['make', '-skC', '/srv/app', '-f', '/tmp/m.mk', 'protected/a'],
      ['ninja', '-vC', '/srv/app', 'protected/a'],
    ])
      assert.equal(decide(argv).rule, 'protected-directory', argv.join(' '));
    assert.equal(decide(['env', '-iC', '/srv/app', 'mkdir', 'elsewhere']).rule, 'default');
    assert.equal(decide(['env', '-uC', '/srv/app', 'mkdir', 'protected/a']).rule, 'protected-directory');
  });

  test("ln's target directory and a command option's value in a cluster are read both ways", () => {
    // In a cluster the first of the options read takes the rest: `-sSt` sets the suffix `t`, and
    // `-sft dir` makes its links in `dir`, which is read as an operand too.
    assert.deepEqual(optionNamed('-sSt', ['-S', '-t']), { name: '-S', attached: 't', uncertain: true });
    const readings = sshReadings(['ln', '-sft', '/srv/app/x', '../protected'], ['/srv/app/protected/']);
    assert.ok(
      readings.some((reading) => reading.endsWith('/srv/app/protected/')),
      readings.join('\n'),
    );
    // `tar -xfI --to-command=cmd`: -f takes `I`, so the next word is an option of its own.
    const tar = sshReadings(['tar', '-xfI', '--to-command=touch /tmp/ran', 'a.tar'], [], '/srv/app');
    assert.ok(tar.includes('sh -c touch /tmp/ran *'), tar.join('\n'));
  });
});
