import type { Command, HttpCommand } from '../domain/request';
import type { TargetEntry } from '../config/targets';
import { connectorFor } from '../connectors/registry';
import { callRefusal } from '../connectors/http/target-calls';
import { shellRefusal } from '../connectors/ssh/remote-command';
import { HttpError } from './http-error';

/**
 * A submitted command checked against its target at the door: its connector reads it (shape and
 * parser), an HTTP target must take that method and path, and an SSH target must take shell lines
 * before it is sent one. Any failure is a 400 that says why; nothing is recorded.
 */
export function readableCommand(target: TargetEntry, command: unknown): Command {
  const analysis = connectorFor(target.connector).analyse(command as Command);
  if (!analysis.ok) throw new HttpError(400, analysis.code, `${analysis.reason}: ${analysis.detail}`);
  const refusal = target.calls && callRefusal(target.name, target.calls, command as HttpCommand);
  if (refusal) throw new HttpError(400, 'invalid_command', refusal);
  if (target.connector === 'ssh' && 'shell' in (command as Command) && !target.shell)
    throw new HttpError(400, 'invalid_command', shellRefusal(target.name));
  return command as Command;
}
