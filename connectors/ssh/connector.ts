import { createHash } from 'node:crypto';
import { sshCommandSchema, sshCommandSchemaFor } from '../../domain/command-shapes';
import type { SshCommand } from '../../domain/request';
import { type CommandConnector, shapeProblem } from '../connector';
import { readableCommandLine } from './remote-command';
import { MAX_DIRECTORIES_MOVED_TO } from './landing-paths';
import { loginFileReached, loginFiles } from './login-files';
import { MAX_PROGRAM_READINGS, otherProgramReadings, sshFacts } from './ssh-facts';

/**
 * Commands on hosts over SSH: a program and its arguments (`{argv}`), or a shell command line
 * (`{shell}`) where the target allows one. The executor holds the key and pins the host's key.
 */
export const sshConnector: CommandConnector = {
  name: 'ssh',
  commandSchema: sshCommandSchema,
  analyse(command, options) {
    const problem = shapeProblem(sshCommandSchemaFor(command), command, 'not an SSH command');
    if (problem) return problem;
    const facts = sshFacts(command as SshCommand);
    // Every string policy spells: those that are options are read as the rules spell them (ADR 087).
    const otherReadings = otherProgramReadings(facts, {
      literals: [...(options?.spellings?.values() ?? [])].flat(),
      ...(options?.directory !== undefined && { directory: options.directory }),
      ...(options?.codeDirectories !== undefined && { codeDirectories: options.codeDirectories }),
    });
    if (!otherReadings)
      return {
        ok: false,
        code: 'invalid_command',
        rule: 'too-many-readings',
        reason: 'the command runs programs in too many ways to judge',
        detail: `its wrappers (env, timeout, sudo, find -exec, …) may run more than ${MAX_PROGRAM_READINGS} commands (ADR 083), or a program of it work in more than ${MAX_DIRECTORIES_MOVED_TO} directories (ADR 093)`,
      };
    // The login's own files decide what every later command runs: no policy lets a command touch one.
    const reached = loginFileReached(facts, loginFiles(options?.home), options?.directory);
    if (reached)
      return {
        ok: false,
        code: 'invalid_command',
        rule: 'login-files',
        reason:
          "the command reaches a file the host's login runs, keeps its settings or credentials in, or signs in with",
        detail: `${reached.readAs ? `read as ${reached.readAs}, ` : ''}it reaches ${reached.file}: the login's own files (what sshd and its shell run first, its programs' settings, its credentials) decide what every later command runs, so no command may touch one (ADRs 107, 109)`,
      };
    return { ok: true, facts: { ssh: facts }, ...(otherReadings.length > 0 && { otherReadings }) };
  },
  grantCovers: 'this command line exactly',
  // Every word of a command can change what it does (`restart nginx` and `restart postgres`), so a
  // scoped grant covers the same words only: the fingerprint is the whole command.
  fingerprint: (command) => `ssh:${createHash('sha256').update(JSON.stringify(command)).digest('hex').slice(0, 16)}`,
  describe: (command) => ({ text: readableCommandLine(command as SshCommand), language: 'shell' }),
};
