import type { Command, Connector } from '../domain/request';
import type { CommandConnector } from './connector';
import { httpConnector } from './http/connector';
import { kubernetesConnector } from './kubernetes/connector';
import { mysqlConnector } from './mysql/connector';
import { postgresConnector } from './postgres/connector';
import { sshConnector } from './ssh/connector';

/** Every connector the gate knows, by name: how its commands are shaped, read and shown. */
const CONNECTORS_BY_NAME: Record<Connector, CommandConnector> = {
  postgres: postgresConnector,
  mysql: mysqlConnector,
  http: httpConnector,
  ssh: sshConnector,
  kubernetes: kubernetesConnector,
};

export function connectorFor(name: Connector): CommandConnector {
  return CONNECTORS_BY_NAME[name];
}

/** Loads every connector's parser; call once at start-up, before the first command is read. */
export async function prepareConnectors(): Promise<void> {
  for (const connector of Object.values(CONNECTORS_BY_NAME)) await connector.prepare?.();
}

/** A command as reviewers read it (for MySQL, each statement as the gate will run it). */
export function describeCommand(request: { connector: Connector; command: Command }): string {
  return connectorFor(request.connector).describe(request.command).text;
}

/** The same, with the language to highlight it as. */
export function describeCommandFor(request: { connector: Connector; command: Command }) {
  return connectorFor(request.connector).describe(request.command);
}

/** What commands of one grant's shape may differ in, in a sentence for reviewers. */
export function grantCoverage(connector: Connector): string {
  return connectorFor(connector).grantCovers;
}

/** The command's shape for scoped grants: the same for commands that differ only in literal values. */
export function fingerprintCommand(request: { connector: Connector; command: Command }): string {
  return connectorFor(request.connector).fingerprint(request.command);
}
