// sshd hands every command to the user's login shell (`$SHELL -c`): there is no way to pass an
// argv over SSH. So each word is quoted for a POSIX shell, which then reads none of it: no
// expansion, no `;`, no `$(...)`, no globbing. `exec` makes the program replace that shell, so the
// signal sent on a timeout reaches it. Input comes from /dev/null: the channel's own input stays
// open, because an SSH client may send no signal once it has closed it. Every command starts in the
// target's `directory`, not the login's home, so that policy knows where a relative path lands
// (ADR 090); if the shell cannot go there, nothing runs.
import type { SshCommand } from '../../domain/request';

/** One word, literal to a POSIX shell: single quotes, with each `'` closed, escaped and reopened. */
export const shellWord = (word: string): string =>
  /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;

/** The command line the executor sends: argv quoted word by word, or a shell line as written, run in `directory`. */
export function remoteCommandLine(command: SshCommand, directory: string): string {
  const start = `cd ${shellWord(directory)} || exit 126`;
  if ('shell' in command) return `exec </dev/null\n${start}\n${command.shell}`;
  return `${start}\nexec ${command.argv.map(shellWord).join(' ')} </dev/null`;
}

/** The command as reviewers read it: the words as a shell line, without `exec`. */
export function readableCommandLine(command: SshCommand): string {
  return 'shell' in command ? command.shell : command.argv.map(shellWord).join(' ');
}

/** Why a target refuses a `{shell}` command: it takes argv only unless it says `shell: true`. */
export const shellRefusal = (target: string) =>
  `target "${target}" runs programs with their arguments ({argv}) only: it does not take shell command lines`;
