// The contract every connector implements, in two halves:
// - `CommandConnector` reads a command: its shape, its policy facts, how reviewers see it. The
//   API, the orchestrator and the tools use it; it holds no credential and opens no connection.
// - `CommandRunner` runs an approved command on a target: only the executor worker loads it, with
//   the targets' credentials, and masks what it returns before it leaves the process.
// connectors/registry.ts and connectors/runners.ts list the implementations.
import type { z } from 'zod';
import type { Command, CommandResult, Connector } from '../domain/request';
import type { ImpactPreview } from '../domain/impact';
import type { ConnectorFacts, SqlFacts } from '../policy/facts';
import type { LiteralComparison } from '../policy/condition-shape';
import type { Target } from '../config/targets';
import type { HttpRouting } from '../config/target-schemas';
import type { Spellings } from '../domain/json-keys';

export interface AnalysisOptions {
  /** Calls the policy declares free of side effects (`safeFunctions`), as the connector's parser names them. */
  safeFunctions?: ReadonlySet<string>;
  /** The schemas a PostgreSQL target resolves unqualified names in (its `searchPath`; default `[public]`). */
  searchPath?: readonly string[];
  /** The database a MySQL target's unqualified names mean (its `database`; absent: none known). */
  database?: string;
  /** What an HTTP target's router ignores in a path (its `routing`; absent: every leniency, ADR 075). */
  routing?: HttpRouting;
  /** Where an SSH target starts its commands (its `directory`; absent: `/`): relative paths land there (ADR 090). */
  directory?: string;
  /** The home of an SSH target's login (its `home`): no command may touch the files there the login runs (ADR 107). */
  home?: string;
  /** Where an SSH target keeps code (its `codeDirectories`; absent: the system's): code from elsewhere is read as a shell (ADR 111). */
  codeDirectories?: readonly string[];
  /** The names and literals policy spells (Policy's `spellings`): an HTTP call's keys, values and path are read so too (ADRs 076, 078). */
  spellings?: Spellings;
  /** The top-level body keys whose fields policy reads (Policy's `bodyEnvelopes`): a body without one is read as wrapped under it (ADR 079). */
  bodyEnvelopes?: ReadonlySet<string>;
  /** The body fields and query parameters policy compares with literals (Policy's `comparedLiterals`, ADR 080). */
  comparedLiterals?: readonly LiteralComparison[];
}

/** Why a command cannot be judged: refused with 400 at submit, denied if it reaches policy anyway. */
export interface UnreadableCommand {
  ok: false;
  /** The API's error code: `invalid_sql` for SQL a parser refused, `invalid_command` for the rest. */
  code: 'invalid_sql' | 'invalid_command';
  /** The policy rule named in the deny decision, such as `unparsable-sql`. */
  rule: string;
  /** In a few words, such as "the SQL does not parse". */
  reason: string;
  /** What the parser said, and where. */
  detail: string;
}

/** Another command the target may take this one for: policy must judge it alike (ADR 075). */
export interface OtherReading {
  facts: ConnectorFacts;
  /** The command as the target may read it, in a few words (`POST /refunds`). */
  readAs: string;
}

export type CommandAnalysis = { ok: true; facts: ConnectorFacts; otherReadings?: OtherReading[] } | UnreadableCommand;

/**
 * A SQL batch runs in one transaction the executor opens, then commits, or rolls back when a
 * statement broke a bound (`maxRows`, the approved preview's counts): READ ONLY and the statement
 * timeout hold inside it too. A statement that ends or opens a transaction of its own (its kind
 * `transaction`) would let the rest run, and commit, outside all of them: such a batch is refused.
 */
function transactionControlProblem(kinds: readonly string[]): UnreadableCommand | undefined {
  if (!kinds.includes('transaction')) return undefined;
  return {
    ok: false,
    code: 'invalid_sql',
    rule: 'transaction-control',
    reason: 'the batch controls its own transaction',
    detail:
      'BEGIN, COMMIT, ROLLBACK, SAVEPOINT, SET autocommit and the like are the executor’s: it runs the whole batch in one transaction, commits it, or rolls it back when a bound is broken; send the statements without them',
  };
}

/**
 * A table name means what the policy judged only if the batch cannot change how names resolve:
 * the executor pins each PostgreSQL session's search_path to the target's `searchPath`, and a
 * MySQL connection's database to its `database`. A statement that changes either (`what`) is refused.
 */
function nameResolutionProblem(what: string): UnreadableCommand {
  return {
    ok: false,
    code: 'invalid_sql',
    rule: 'name-resolution',
    reason: 'the batch changes which tables its names mean',
    detail: `${what} is the executor’s: it pins how the target resolves names, so that a table name means the table policy judged; write the schema (or database) into the name instead`,
  };
}

/**
 * A rule about a table judges a batch by the tables it names. A statement that drops, empties,
 * renames or grants on tables it does not name (`what`: CASCADE, DROP OWNED, a whole schema or
 * database) would change a guarded table under a rule that never saw it: such a batch is refused.
 */
function unnamedReachProblem(what: string): UnreadableCommand {
  return {
    ok: false,
    code: 'invalid_sql',
    rule: 'unnamed-reach',
    reason: 'the batch changes tables it does not name',
    detail: `${what} reaches tables the batch does not name, which no rule about a table can judge; name each table the command changes (DROP TABLE a, b; TRUNCATE a, b; GRANT ... ON a, b), or run it outside the gate`,
  };
}

/** Why a batch its parser read is refused beyond its facts: each the statement that does, in a few words. */
export interface SqlBatchProblems {
  /** Changes how names resolve (search_path, USE). */
  changesNames?: string | undefined;
  /** Changes tables it does not name (CASCADE, a whole schema). */
  reachesUnnamed?: string | undefined;
}

/**
 * What a SQL connector answers for a batch its parser read: its facts, or the refusal of a batch
 * that controls its own transaction, changes how names resolve, or changes tables it does not name.
 */
export function readSqlBatch(facts: SqlFacts, { changesNames, reachesUnnamed }: SqlBatchProblems): CommandAnalysis {
  const problem =
    transactionControlProblem(facts.kinds) ??
    (changesNames === undefined ? undefined : nameResolutionProblem(changesNames)) ??
    (reachesUnnamed === undefined ? undefined : unnamedReachProblem(reachesUnnamed));
  return problem ?? { ok: true, facts: { sql: facts } };
}

/**
 * How deep a SQL syntax tree the gate judges, in levels of the parser's own tree (ADR 033): about
 * 140 nested subqueries or 330 nested calls on PostgreSQL. The walkers that read facts from a tree
 * recurse once a level; trees thousands of levels deep (a few kilobytes of SQL) would run them out
 * of stack, in one process and not in another.
 */
export const MAX_SYNTAX_DEPTH = 1000;

/** A SQL command nested past what the gate walks: `detail` says how (the tree, parentheses, the parser's stack). */
export function tooDeeplyNestedProblem(detail: string): UnreadableCommand {
  return {
    ok: false,
    code: 'invalid_sql',
    rule: 'too-deeply-nested',
    reason: 'the SQL nests too deeply for the gate to judge',
    detail: `${detail}; nest fewer subqueries, calls, CASEs or parentheses, or send it as several commands`,
  };
}

/** Why a command does not have the shape `schema` gives it ("not an HTTP call": `what`), or undefined. */
export function shapeProblem(schema: z.ZodType, command: unknown, what: string): UnreadableCommand | undefined {
  const shaped = schema.safeParse(command);
  if (shaped.success) return undefined;
  const detail = shaped.error.issues.map((issue) => `command.${issue.path.join('.') || '(root)'}: ${issue.message}`);
  return { ok: false, code: 'invalid_command', rule: 'malformed-command', reason: what, detail: detail.join('; ') };
}

export interface CommandConnector {
  name: Connector;
  /** The command's shape at submit (the API's 400 names the field). */
  commandSchema: z.ZodType<Command>;
  /** The facts policy conditions see, from a real parser. Fails closed: what it cannot read is unreadable. */
  analyse(command: Command, options?: AnalysisOptions): CommandAnalysis;
  /** The same for commands of the same shape, whatever the values of their data (scoped grants match on it, ADR 052). */
  fingerprint(command: Command): string;
  /** What commands of the same shape may differ in, for the reviewer deciding on a grant. */
  grantCovers: string;
  /** The command as reviewers read it, and the language to highlight it as. */
  describe(command: Command): { text: string; language: 'sql' | 'http' | 'shell' };
  /** Loads what analyse needs (a WebAssembly parser); called once before the first analyse. */
  prepare?(): Promise<void>;
}

/** How many rows an approved command may affect: the rule's cap, and per statement what its preview counted. */
export interface RowBound {
  maxRows?: number;
  previewRows?: (number | null)[];
}

/** What the executor knows of the approval when it readies a command. */
export interface RunContext {
  /** The request's id: an HTTP call sends it as its Idempotency-Key. */
  requestId: string;
  bound: RowBound;
  /**
   * A reviewer approved the command, or a grant a reviewer made covers it; absent or false when
   * policy allowed it alone, as a read (ADR 068).
   */
  reviewed?: boolean;
  /** Keeps a session's recording (asciicast v2, masked) with the request: the ssh connector makes one. */
  keepRecording(recording: { cast: string; durationMs: number }): Promise<void>;
}

/** A command the executor has re-read and may run: `run` is called at most once, after the claim. */
export type PreparedRun = { ok: true; run(): Promise<CommandResult> } | { ok: false; error: string };

export interface CommandRunner<T extends Target = Target> {
  /**
   * Re-reads the command (never trusting the input's facts) and readies it for `target`, or says
   * why it may not run. Nothing touches the target until `run`.
   */
  prepare(target: T, command: Command, context: RunContext): PreparedRun;
  /** What the command would do, without changing anything (the connector may not offer it). */
  previewImpact?(target: T, command: Command): Promise<ImpactPreview>;
}
