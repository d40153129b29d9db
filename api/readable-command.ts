import type { Command, HttpCommand, KubernetesCommand } from '../domain/request';
import type { TargetEntry } from '../config/target-catalogue';
import { connectorFor } from '../connectors/registry';
import { callRefusal } from '../connectors/http/target-calls';
import { shellRefusal } from '../connectors/ssh/remote-command';
import { namespaceRefusal } from '../connectors/kubernetes/api-call';
import { HttpError } from './http-error';

/**
 * A submitted command checked against its target at the door: its connector reads it (shape and
 * parser), an HTTP target must take that method and path, an SSH target must take shell lines
 * before it is sent one, and a Kubernetes target the namespace. Any failure is a 400 that says
 * why; nothing is recorded.
 */
export function readableCommand(target: TargetEntry, command: unknown): Command {
  // Where an SSH target's commands start and its login's home decide which files they reach (ADRs 090, 107).
  const analysis = connectorFor(target.connector).analyse(command as Command, {
    ...(target.directory !== undefined && { directory: target.directory }),
    ...(target.home !== undefined && { home: target.home }),
  });
  if (!analysis.ok) throw new HttpError(400, analysis.code, `${analysis.reason}: ${analysis.detail}`);
  const refusal = target.calls && callRefusal(target.name, target.calls, command as HttpCommand);
  if (refusal) throw new HttpError(400, 'invalid_command', refusal);
  if (target.connector === 'ssh' && 'shell' in (command as Command) && !target.shell)
    throw new HttpError(400, 'invalid_command', shellRefusal(target.name));
  const outside = target.namespaces && namespaceRefusal(target.name, target.namespaces, command as KubernetesCommand);
  if (outside) throw new HttpError(400, 'invalid_command', outside);
  return command as Command;
}
