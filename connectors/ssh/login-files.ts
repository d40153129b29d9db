import path from 'node:path/posix';
import type { SshFacts } from '../../policy/facts';
import type { OtherReading } from '../connector';
import { otherProgramReadings } from './ssh-facts';

/**
 * The files a host's login runs, or reads to say who signs in, before the command the executor
 * sends (ADR 107): sshd runs `~/.ssh/rc` and reads `~/.ssh/authorized_keys`, `~/.ssh/environment`,
 * its own settings and PAM's; the login shell reads its startup files. A command that writes one
 * changes what every later command runs, approved or not, so none may touch one, whatever policy
 * says. A directory holds them all (`~/.ssh`); a file is one (`~/.bashrc`). Any user's `.ssh` is
 * refused too: an `authorized_keys` written there lets someone sign in without the gate.
 */
const IN_HOME = {
  directories: ['.ssh', '.config/fish'],
  files: [
    ...['.profile', '.bash_profile', '.bash_login', '.bashrc', '.bash_logout', '.shrc', '.kshrc', '.mkshrc'],
    ...['.zshenv', '.zprofile', '.zshrc', '.zlogin', '.zlogout', '.cshrc', '.tcshrc', '.login', '.logout'],
    '.pam_environment',
  ],
};

// sshd's settings and host keys, PAM's stack, the shells' system-wide startup files, and the
// libraries the dynamic linker loads into every program (and so into sshd's children).
const ON_THE_SYSTEM = {
  directories: ['/etc/ssh', '/etc/pam.d', '/etc/profile.d', '/etc/zsh'],
  files: [
    ...['/etc/profile', '/etc/bash.bashrc', '/etc/environment', '/etc/security/pam_env.conf'],
    ...['/etc/csh.cshrc', '/etc/csh.login', '/etc/ld.so.preload'],
  ],
};

/** A login's files, absolute: those of its `home` (absent: none known) and the system's. */
export interface LoginFiles {
  directories: string[];
  files: string[];
}

export function loginFiles(home: string | undefined): LoginFiles {
  // In plain form, as the readings give paths (ADR 088): `/root/` and `/root//` are `/root`.
  const inHome = (names: readonly string[]) => (home === undefined ? [] : names.map((name) => path.join(home, name)));
  return {
    directories: [...inHome(IN_HOME.directories), ...ON_THE_SYSTEM.directories],
    files: [...inHome(IN_HOME.files), ...ON_THE_SYSTEM.files],
  };
}

/**
 * A `.ssh` directory in a path (`/root/.ssh/authorized_keys`, `home/ann/.ssh`): whoever's it is, a
 * key written there signs in without the gate, and the keys there sign in elsewhere.
 */
const SSH_DIRECTORY = /(?:^|\/)\.ssh(?=\/|$)/;

/** The login file a word names (a file itself, or a directory of them or a path in one), if any. */
const loginFileNamed = (word: string, { directories, files }: LoginFiles): string | undefined =>
  files.find((file) => word === file) ??
  directories.find((directory) => word === directory || word.startsWith(`${directory}/`));

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
  const spelled = [...login.directories.map((directory) => `${directory}/`), ...login.files];
  const readings: (OtherReading | { facts: { ssh: SshFacts }; readAs?: undefined })[] = [
    { facts: { ssh: facts } },
    ...(otherProgramReadings(facts, spelled, directory, false) ?? []),
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
