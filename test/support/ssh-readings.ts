// How the ssh connector reads an argv and how policy decides it, for the unit tests of its readings
// (ADRs 082 to 090): pure logic, nothing is run.
import assert from 'node:assert/strict';
import { sshConnector } from '../../connectors/ssh/connector';
import { decideRequest } from '../../connectors/policy-input';
import type { Command } from '../../domain/request';
import type { SshFacts } from '../../policy/facts';
import { compilePolicy } from '../../policy/policy';

/**
 * The connector's analysis of `argv`, which must be readable, for a policy that spells `spelled`, on
 * a target starting in `directory` and keeping its code in `codeDirectories` (absent: the system's).
 */
export function analyseArgv(
  argv: string[],
  spelled: readonly string[] = [],
  directory?: string,
  codeDirectories?: readonly string[],
) {
  const spellings = new Map(spelled.map((literal) => [literal, [literal]]));
  const analysis = sshConnector.analyse({ argv } as unknown as Command, {
    spellings,
    ...(directory !== undefined && { directory }),
    ...(codeDirectories !== undefined && { codeDirectories }),
  });
  assert.ok(analysis.ok, analysis.ok ? '' : analysis.detail);
  return analysis;
}

/** Each other reading of `argv` (for a policy that spells `spelled`), as `program args…`, a `*` marking one a shell reads. */
export const sshReadings = (
  argv: string[],
  spelled: readonly string[] = [],
  directory?: string,
  codeDirectories?: readonly string[],
) =>
  (analyseArgv(argv, spelled, directory, codeDirectories).otherReadings ?? []).map(({ facts }) => {
    const { program, args, usesShell } = facts.ssh as SshFacts;
    return [program, ...args].join(' ') + (usesShell ? ' *' : '');
  });

/**
 * Each other reading of `argv` for a command started in `/srv/app`, which the target keeps code in
 * only when `codeDirectories` says so, and whether any of them is a shell (ADRs 111 to 115).
 */
export const readingsInApp = (argv: string[], codeDirectories?: readonly string[]) =>
  sshReadings(argv, [], '/srv/app', codeDirectories);
export const readAsShellInApp = (argv: string[], codeDirectories?: readonly string[]) =>
  readingsInApp(argv, codeDirectories).some((reading) => reading.endsWith('*'));

/** A policy that lets everything run but a shell (ADRs 083, 111). */
export const NO_SHELLS_POLICY = `version: 1
default: { effect: allow }
rules:
  - name: no-shells
    when: ssh.usesShell
    effect: deny
    reason: no shells
`;

/** A policy that lets everything run but a path under `/srv/app/protected/` (ADRs 090, 091). */
export const PROTECTED_DIRECTORY_POLICY = `version: 1
default: { effect: allow }
rules:
  - name: protected-directory
    when: request.connector == "ssh" && ssh.args.exists(a, a.startsWith("/srv/app/protected/"))
    effect: deny
    reason: written by the deploy tooling
`;

/** Decides an agent's SSH request for `argv` on `web-1` (starting in `directory`) under the policy `yaml`. */
export function sshDecider(yaml: string, directory?: string): (argv: string[]) => ReturnType<typeof decideRequest> {
  const policy = compilePolicy('policy.yaml', yaml);
  return (argv) =>
    decideRequest(
      policy,
      {
        ...{ id: 'req_x', agent: 'a', connector: 'ssh' as const, target: 'web-1', reason: 'r', metadata: {} },
        command: { argv } as unknown as Command,
      },
      directory === undefined ? {} : { target: { directory } },
    );
}
