import path from 'node:path/posix';
import type { SshCommand } from '../../domain/request';
import type { SshFacts } from '../../policy/facts';

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
