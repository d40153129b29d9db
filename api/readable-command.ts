import type { Command, Connector } from '../domain/request';
import { connectorFor } from '../connectors/registry';
import { HttpError } from './http-error';

/**
 * A submitted command checked against its target's connector at the door: its shape, then whether
 * the connector's parser can read it. Either failure is a 400 that says why; nothing is recorded.
 */
export function readableCommand(connector: Connector, command: unknown): Command {
  const reader = connectorFor(connector);
  const shaped = reader.commandSchema.safeParse(command);
  if (!shaped.success) {
    const issues = shaped.error.issues.map((issue) => `command.${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new HttpError(400, 'invalid_command', `not a ${connector} command: ${issues.join('; ')}`);
  }
  const analysis = reader.analyse(shaped.data);
  if (!analysis.ok) throw new HttpError(400, analysis.code, `${analysis.reason}: ${analysis.detail}`);
  return shaped.data;
}
