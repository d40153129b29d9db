// A database's error as it may leave the executor (ADR 065). A database writes the values a failing
// statement was given into its message, quoted (`invalid input syntax for type integer:
// "078-05-1120"`) or not (`chr(n)`: "requested character too large for encoding: n", `make_date`:
// "date field value out of range: y-m-d"), and the batch chooses those values. So when the batch
// may have read masked data, an error the database raised is told by its condition (its SQLSTATE,
// the SQLSTATE's class, MySQL's error name, where in the batch it arose), never by its words. Only
// the classes that speak of the session rather than of values keep their words: a connection
// lost, a read-only transaction written to, a deadlock, a lock or statement timeout, memory or
// disk short, an object in use. An error without a SQLSTATE is the client's or the network's,
// written by code, not by the batch.

/** SQLSTATE classes (the code's first two characters), as the SQL standard and PostgreSQL name them. */
const SQLSTATE_CLASSES: Readonly<Record<string, string>> = {
  '01': 'warning',
  '02': 'no data',
  '03': 'SQL statement not yet complete',
  '08': 'connection exception',
  '09': 'triggered action exception',
  '0A': 'feature not supported',
  '0B': 'invalid transaction initiation',
  '0F': 'locator exception',
  '0L': 'invalid grantor',
  '0P': 'invalid role specification',
  '0Z': 'diagnostics exception',
  '20': 'case not found',
  '21': 'cardinality violation',
  '22': 'data exception',
  '23': 'integrity constraint violation',
  '24': 'invalid cursor state',
  '25': 'invalid transaction state',
  '26': 'invalid SQL statement name',
  '27': 'triggered data change violation',
  '28': 'invalid authorization specification',
  '2B': 'dependent privilege descriptors still exist',
  '2D': 'invalid transaction termination',
  '2F': 'SQL routine exception',
  '34': 'invalid cursor name',
  '38': 'external routine exception',
  '39': 'external routine invocation exception',
  '3B': 'savepoint exception',
  '3D': 'invalid catalog name',
  '3F': 'invalid schema name',
  '40': 'transaction rollback',
  '42': 'syntax error or access rule violation',
  '44': 'WITH CHECK OPTION violation',
  '53': 'insufficient resources',
  '54': 'program limit exceeded',
  '55': 'object not in prerequisite state',
  '57': 'operator intervention',
  '58': 'system error',
  '72': 'snapshot failure',
  F0: 'configuration file error',
  HV: 'foreign data wrapper error',
  HY: 'general error',
  P0: 'PL/pgSQL error',
  XX: 'internal error',
};

/**
 * Classes whose messages are the server's fixed sentences about the session, the transaction or
 * an object (`cannot execute UPDATE in a read-only transaction`, `canceling statement due to
 * statement timeout`, `deadlock detected`; MariaDB's `Query execution was interrupted`), never a
 * value a statement read: an agent needs them to know what the gate's own limits did.
 */
const SESSION_CLASSES = new Set(['08', '25', '40', '53', '55', '57', '70']);

/** What may be told of a database's error: nothing the batch's data chose. */
export interface DatabaseCondition {
  sqlState: string;
  /** MySQL's symbolic error name (`ER_DIVISION_BY_ZERO`); PostgreSQL gives none. */
  name?: string;
  /** Where in the batch's text the error arose (1-based), when the database says. */
  position?: number;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** A PostgreSQL server's error (node-postgres' DatabaseError: `code` is the SQLSTATE), or undefined. */
export function postgresCondition(error: unknown): DatabaseCondition | undefined {
  const { code, position, severity } = (error ?? {}) as { code?: unknown; position?: unknown; severity?: unknown };
  if (typeof code !== 'string' || !SQLSTATE.test(code) || typeof severity !== 'string') return undefined;
  const at = Number(position);
  return { sqlState: code, ...(Number.isInteger(at) && at > 0 && { position: at }) };
}

/** A MySQL or MariaDB server's error (mysql2: `sqlState`, and `code` its name), or undefined. */
export function mysqlCondition(error: unknown): DatabaseCondition | undefined {
  const { sqlState, code } = (error ?? {}) as { sqlState?: unknown; code?: unknown };
  if (typeof sqlState !== 'string' || !SQLSTATE.test(sqlState)) return undefined;
  return { sqlState, ...(typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code) && { name: code }) };
}

/**
 * A database's error as an agent (and a reviewer) reads it when the batch may read masked data:
 * `message` when its class speaks only of the session, else its condition in a sentence.
 */
export function toldByCondition(condition: DatabaseCondition, message: string): string {
  return SESSION_CLASSES.has(condition.sqlState.slice(0, 2)) ? message : withheldMessage(condition);
}

function withheldMessage({ sqlState, name, position }: DatabaseCondition): string {
  const kind = SQLSTATE_CLASSES[sqlState.slice(0, 2)] ?? 'unclassified';
  const where = position === undefined ? '' : ` at character ${position}`;
  return (
    `the database refused the batch${where}: ${name ? `${name}, ` : ''}SQLSTATE ${sqlState} (${kind}); ` +
    'its message is withheld, as the batch may read masked data and a message can repeat what it read'
  );
}
