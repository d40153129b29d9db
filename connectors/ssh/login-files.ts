import path from 'node:path/posix';
import type { SshFacts } from '../../policy/facts';
import type { OtherReading } from '../connector';
import { otherProgramReadings } from './ssh-facts';

/**
 * The files a host's login runs, or reads its settings and credentials from, or signs in with
 * (ADRs 107, 109). sshd runs `~/.ssh/rc` before the command the executor sends and reads
 * `~/.ssh/authorized_keys`, its own settings and PAM's; the login shell reads its startup files; and
 * the programs the gate runs read theirs from the home's hidden files (git's `~/.gitconfig`, psql's
 * `~/.psqlrc`, sqlite3's `~/.sqliterc`, gdb's `~/.gdbinit`: each can name a command) and keep the
 * login's credentials there (`~/.pgpass`, `~/.aws`, `~/.kube`, `~/.docker`). A command that writes
 * one changes what later commands run, approved or not, and one that reads one may read a secret:
 * none may touch one, whatever policy says. In the home, every hidden file and directory is one;
 * any user's `.ssh` is one too (an `authorized_keys` written there signs in without the gate).
 */

// sshd's settings and host keys, PAM's stack, the shells' system-wide startup files, and the
// libraries the dynamic linker loads into every program (and so into sshd's children).
const ON_THE_SYSTEM = {
  directories: ['/etc/ssh', '/etc/pam.d', '/etc/profile.d', '/etc/zsh'],
  files: [
    ...['/etc/profile', '/etc/bash.bashrc', '/etc/environment', '/etc/security/pam_env.conf'],
    ...['/etc/csh.cshrc', '/etc/csh.login', '/etc/ld.so.preload'],
  ],
};

/** A login's files: every hidden one in its `home` (absent: none known), and the system's, absolute. */
export interface LoginFiles {
  /** The home, in plain form. */
  home?: string;
  directories: string[];
  files: string[];
}

export function loginFiles(home: string | undefined): LoginFiles {
  // In plain form, as the readings give paths (ADR 088): `/root/` and `/root//` are `/root`.
  return { ...(home !== undefined && { home: path.join(home, '.') }), ...ON_THE_SYSTEM };
}

/**
 * The login file a word names, if any: a hidden file or directory in the home (or a path in one),
 * a system file, or a system directory or a path in one.
 */
function loginFileNamed(word: string, { home, directories, files }: LoginFiles): string | undefined {
  if (home !== undefined && word.startsWith(`${home === '/' ? '' : home}/.`)) {
    const name = word.slice(home === '/' ? 1 : home.length + 1).split('/', 1)[0]!;
    if (name !== '.' && name !== '..') return path.join(home, name);
  }
  return (
    files.find((file) => word === file) ??
    directories.find((directory) => word === directory || word.startsWith(`${directory}/`))
  );
}

/**
 * A `.ssh` directory in a path (`/root/.ssh/authorized_keys`, `home/ann/.ssh`): whoever's it is, a
 * key written there signs in without the gate, and the keys there sign in elsewhere.
 */
const SSH_DIRECTORY = /(?:^|\/)\.ssh(?=\/|$)/;

/** The `.ssh` directory a path holds, whoever's it is, if any (a word with no `/` is no path here). */
function sshDirectoryNamed(word: string): string | undefined {
  const ssh = word.includes('/') ? SSH_DIRECTORY.exec(word) : null;
  return ssh ? word.slice(0, ssh.index + ssh[0].length) : undefined;
}

/** A login file the command reaches, and the reading that reaches it (`readAs` absent: as sent). */
export interface LoginFileReached {
  file: string;
  readAs?: string;
}

/**
 * The first login file `facts` reaches in any reading the path readings make (ADRs 088 to 106:
 * where its paths land, the trees it acts on, the links it makes, the wrappers' own words), given
 * the login files as paths a rule spells, or else any `.ssh` a path of it holds; undefined if none,
 * or if the command has more readings than are read (the connector refuses those anyway).
 */
export function loginFileReached(
  facts: SshFacts,
  login: LoginFiles,
  directory: string | undefined,
): LoginFileReached | undefined {
  // The home's hidden entries are spelled by the start they share, which a path landing in one holds
  // (ADR 090), and by `.ssh/`, which a tree or a link that holds the home holds (ADRs 091, 092).
  const hidden = login.home === undefined ? [] : [`${login.home === '/' ? '' : login.home}/.`];
  const spelled = [
    ...hidden.flatMap((start) => [start, `${start}ssh/`]),
    ...login.directories.map((directory) => `${directory}/`),
    ...login.files,
  ];
  const readings: (OtherReading | { facts: { ssh: SshFacts }; readAs?: undefined })[] = [
    { facts: { ssh: facts } },
    ...(otherProgramReadings(facts, { literals: spelled, directory, unseen: false }) ?? []),
  ];
  // The login's own files first, in any reading, so that the refusal names one where a path
  // (relative, say) also holds a `.ssh`.
  for (const named of [(word: string) => loginFileNamed(word, login), sshDirectoryNamed])
    for (const { facts: read, readAs } of readings) {
      const words = read.ssh ? [read.ssh.program, ...read.ssh.args] : [];
      for (const word of words) {
        const file = named(word);
        if (file) return { file, ...(readAs !== undefined && { readAs }) };
      }
    }
  return undefined;
}
