import path from 'node:path/posix';
import type { SshCommand } from '../../domain/request';
import type { SshFacts } from '../../policy/facts';
import type { OtherReading } from '../connector';

/**
 * Programs that read their arguments as a shell would. Naming one as the program is using a shell,
 * whatever the target allows; policy sees it as `ssh.usesShell`. Programs that run other programs
 * (env, xargs, find -exec, sudo) are not on the list: write allow rules that name exact programs.
 */
const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'csh', 'tcsh', 'fish', 'busybox']);

/** What policy sees of a command run over SSH (`ssh.*`). The command's shape is already checked. */
export function sshFacts(command: SshCommand): SshFacts {
  if ('shell' in command) return { program: 'sh', args: ['-c', command.shell], usesShell: true };
  const [program, ...args] = command.argv;
  return { program: program!, args, usesShell: SHELLS.has(path.basename(program!)) };
}

/**
 * The program a path names, read by its file name too (ADR 082): `/usr/bin/touch`, `//bin/touch`
 * and `/bin/../bin/touch` are `touch` to a rule on `ssh.program == "touch"`. The strictest decision
 * stands, so a rule that allows a program by name does not allow a file of that name elsewhere.
 */
export function programByName(facts: SshFacts): OtherReading[] {
  const name = path.basename(facts.program);
  if (name === '' || name === facts.program) return [];
  return [{ facts: { ssh: { ...facts, program: name } }, readAs: `the program ${name} (ADR 082)` }];
}
