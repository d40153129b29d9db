import type { Command, HttpCommand } from '../domain/request';
import type { TargetEntry } from '../config/targets';
import { connectorFor } from '../connectors/registry';
import { callRefusal } from '../connectors/http/target-calls';
import { HttpError } from './http-error';

/**
 * A submitted command checked against its target at the door: its shape, whether the connector's
 * parser can read it, and for an HTTP target whether the target takes that method and path. Any
 * failure is a 400 that says why; nothing is recorded.
 */
export function readableCommand(target: TargetEntry, command: unknown): Command {
  const { connector } = target;
  const reader = connectorFor(connector);
  const shaped = reader.commandSchema.safeParse(command);
  if (!shaped.success) {
    const issues = shaped.error.issues.map((issue) => `command.${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new HttpError(400, 'invalid_command', `not a ${connector} command: ${issues.join('; ')}`);
  }
  const analysis = reader.analyse(shaped.data);
  if (!analysis.ok) throw new HttpError(400, analysis.code, `${analysis.reason}: ${analysis.detail}`);
  const refusal = target.calls && callRefusal(target.name, target.calls, shaped.data as HttpCommand);
  if (refusal) throw new HttpError(400, 'invalid_command', refusal);
  return shaped.data;
}
