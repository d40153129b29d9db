import { createHash } from 'node:crypto';
import { type ASTNode, Environment } from '@marcbachmann/cel-js';
import type { ApprovalStage, PolicyDecision, PrivilegedRequest, Risk } from '../domain/request';
import { ConfigurationError } from '../config/env';
import { parseYamlText, readConfigFile } from '../config/yaml-file';
import type { ConnectorFacts, HttpFacts, ImpactFacts, KubernetesFacts, SqlFacts, SshFacts } from './facts';
import { parseDurationMs } from '../domain/duration';
import { type ApprovalSpec, type PolicyFile, policyFileSchema } from './schema';
import { withinTime } from './time-limit';
import {
  type LiteralComparison,
  bodyEnvelopesRead,
  callsFunction,
  literalComparisons,
  mayCostMoreThanLinear,
  namesSpelled,
} from './condition-shape';
import { type Spellings, foldedKey } from '../domain/json-keys';

/** Everything a condition can see: the request, its connector's facts (`sql` for postgres and mysql, `http`, `ssh`, `kubernetes`). */
export interface PolicyInput extends ConnectorFacts {
  request: Pick<PrivilegedRequest, 'id' | 'agent' | 'connector' | 'target' | 'reason' | 'metadata'>;
  /** The executor's impact preview; in the first pass (before any preview) `available` is false. */
  impact?: ImpactFacts;
}

interface CompiledRule {
  name: string;
  source: string;
  /** The names the condition spells (namesSpelled). */
  names: string[];
  /** The top-level body keys whose fields it reads (bodyEnvelopesRead). */
  envelopes: string[];
  /** The body fields and query parameters it compares with literals (literalComparisons). */
  comparisons: LiteralComparison[];
  matches: (input: PolicyInput) => boolean;
  /** The condition's top-level `&&` parts, each evaluable alone: says which part failed. */
  conjuncts: { source: string; evaluate: (input: PolicyInput) => unknown }[];
  outcome: Omit<PolicyDecision, 'rule' | 'explanation' | 'version'>;
  /** Whether its cost can grow faster than what it reads: it runs under the time limit (ADR 042). */
  mayCostMoreThanLinear: boolean;
}

/** Why a rule before the matching one did not match (for `policy check`). */
export interface RuleMiss {
  rule: string;
  when: string;
  /** Each top-level `&&` part and its value (or the error it raised). */
  parts: { source: string; value: unknown }[];
}

export interface Policy {
  /** sha256 of the file's text: recorded with every decision. */
  version: string;
  /** The policy's `safeFunctions`: what sql.readOnly accepts besides side-effect-free built-ins. */
  safeFunctions: ReadonlySet<string>;
  /**
   * The names and literals its conditions spell, by folded form (domain/json-keys.ts), each with its
   * spellings in the order the rules write them: a call's keys and values are read so (ADRs 076,
   * 078), and a path's segments.
   */
  spellings: Spellings;
  /**
   * The top-level body keys whose fields its conditions read (`payout` in `http.body.payout.amount`):
   * a call's body without one is read as wrapped under it too, as Rails wraps parameters (ADR 079).
   */
  bodyEnvelopes: ReadonlySet<string>;
  /**
   * The body fields and query parameters its conditions compare with literals, each with every
   * literal it is compared with: a value a binder reads as one of them is read so too (ADR 080).
   */
  comparedLiterals: readonly LiteralComparison[];
  ruleCount: number;
  decide(input: PolicyInput): PolicyDecision;
  /** The decision plus, for every earlier rule, why it did not match. Slower than decide. */
  explain(input: PolicyInput): { decision: PolicyDecision; misses: RuleMiss[] };
}

const NO_IMPACT_FACTS: ImpactFacts = { available: false, exact: false, estimatedRows: 0, rows: 0, seqScan: false };

const NO_HTTP: HttpFacts = {
  method: '',
  path: '',
  segments: [],
  query: {},
  headers: {},
  bodyKeys: [],
  body: {},
  readOnly: false,
};

// A shell with no program: `ssh.usesShell` is true, so a rule that allows only shell-free commands fails closed.
const NO_SSH: SshFacts = { program: '', args: [], usesShell: true };

const NO_KUBERNETES: KubernetesFacts = {
  verb: '',
  apiVersion: '',
  group: '',
  resource: '',
  namespace: '',
  name: '',
  bodyName: '',
  fields: [],
  body: {},
  readOnly: false,
};

const NO_SQL: SqlFacts = {
  readOnly: false,
  kinds: [],
  tables: [],
  functions: [],
  unsafeFunctions: [],
  columns: [],
  statementCount: 0,
  statements: [],
};

// Conditions are type-checked against these shapes at load, so a typo such as
// `sql.readOnyl` stops start-up instead of silently never matching.
function celEnvironment(): Environment {
  return new Environment()
    .registerVariable({
      name: 'request',
      schema: {
        id: 'string',
        agent: 'string',
        connector: 'string',
        target: 'string',
        reason: 'string',
        metadata: 'map<string, string>',
      },
    })
    .registerVariable({
      name: 'sql',
      schema: {
        readOnly: 'bool',
        kinds: 'list<string>',
        tables: 'list<string>',
        functions: 'list<string>',
        unsafeFunctions: 'list<string>',
        columns: 'list<string>',
        statementCount: 'int',
        statements: 'list<map<string, dyn>>',
      },
    })
    .registerVariable({
      name: 'http',
      schema: {
        method: 'string',
        path: 'string',
        segments: 'list<string>',
        query: 'map<string, string>',
        headers: 'map<string, string>',
        bodyKeys: 'list<string>',
        body: 'map<string, dyn>',
        readOnly: 'bool',
      },
    })
    .registerVariable({
      name: 'ssh',
      schema: { program: 'string', args: 'list<string>', usesShell: 'bool' },
    })
    .registerVariable({
      name: 'kubernetes',
      schema: {
        verb: 'string',
        apiVersion: 'string',
        group: 'string',
        resource: 'string',
        namespace: 'string',
        name: 'string',
        bodyName: 'string',
        fields: 'list<string>',
        body: 'map<string, dyn>',
        readOnly: 'bool',
      },
    })
    .registerVariable({
      name: 'impact',
      schema: { available: 'bool', exact: 'bool', estimatedRows: 'int', rows: 'int', seqScan: 'bool' },
    });
}

function toStages(spec: ApprovalSpec): ApprovalStage[] {
  const stages = 'stages' in spec ? spec.stages : [spec];
  return stages.map((stage) => ({
    groups: stage.groups,
    quorum: stage.quorum,
    timeoutMs: parseDurationMs(stage.timeout)!,
    onTimeout: stage.onTimeout,
    channels: stage.channels,
    distinctGroups: stage.distinctGroups,
  }));
}

function outcomeOf(spec: {
  effect: PolicyDecision['effect'];
  reason?: string;
  risk?: Risk;
  approval?: ApprovalSpec;
  maxRows?: number;
  grant?: { maxUses: number; maxFor: string };
}): CompiledRule['outcome'] {
  return {
    effect: spec.effect,
    ...(spec.maxRows !== undefined && { maxRows: spec.maxRows }),
    ...(spec.grant && { grant: { maxUses: spec.grant.maxUses, maxForMs: parseDurationMs(spec.grant.maxFor)! } }),
    ...(spec.reason !== undefined && { reason: spec.reason }),
    ...(spec.risk !== undefined && { risk: spec.risk }),
    ...(spec.effect === 'require_approval' && spec.approval && { approval: { stages: toStages(spec.approval) } }),
  };
}

/**
 * The variables a condition sees. CEL's `int` is a BigInt in cel-js: counts declared `int` must be
 * one, or every comparison with them fails (and the rule fails closed). Built once per input.
 */
const contexts = new WeakMap<PolicyInput, Record<string, unknown>>();
function context(input: PolicyInput): Record<string, unknown> {
  let built = contexts.get(input);
  if (!built) {
    const sql = input.sql ?? NO_SQL;
    const impact = input.impact ?? NO_IMPACT_FACTS;
    built = {
      request: input.request,
      sql: { ...sql, statementCount: BigInt(sql.statementCount) },
      http: input.http ?? NO_HTTP,
      ssh: input.ssh ?? NO_SSH,
      kubernetes: input.kubernetes ?? NO_KUBERNETES,
      impact: {
        ...impact,
        estimatedRows: BigInt(Math.round(impact.estimatedRows)),
        rows: BigInt(Math.round(impact.rows)),
      },
    };
    contexts.set(input, built);
  }
  return built;
}

function compileRule(
  environment: Environment,
  file: string,
  rule: PolicyFile['rules'][number],
  index: number,
): CompiledRule {
  const where = `${file}: rule ${index + 1} "${rule.name}"`;
  let evaluate: ReturnType<Environment['parse']>;
  try {
    evaluate = environment.parse(rule.when);
    const checked = evaluate.check();
    if (!checked.valid) throw checked.error ?? new Error('the expression does not type-check');
    if (checked.type !== 'bool' && checked.type !== 'dyn')
      throw new Error(`the condition must be a bool, but it is ${checked.type}`);
  } catch (error) {
    throw new ConfigurationError(`${where}: bad condition \`${rule.when}\`: ${(error as Error).message}`);
  }
  if (callsFunction(evaluate.ast, 'matches'))
    throw new ConfigurationError(
      `${where}: bad condition \`${rule.when}\`: matches() is not available. It runs JavaScript's ` +
        'backtracking regular expressions on text the agent writes, where a pattern such as (a+)+$ holds the ' +
        'process for minutes on a few dozen characters (ADR 036); use startsWith, endsWith, contains or ==',
    );
  const readsAlone = (text: string) => {
    try {
      environment.parse(text);
      return true;
    } catch {
      return false;
    }
  };
  const conjuncts = topLevelConjuncts(evaluate.ast, rule.when, readsAlone).map((source) => {
    const part = environment.parse(source);
    return { source, evaluate: (input: PolicyInput) => part(context(input)) as unknown };
  });
  return {
    name: rule.name,
    source: rule.when,
    names: namesSpelled(evaluate.ast),
    envelopes: bodyEnvelopesRead(evaluate.ast),
    comparisons: literalComparisons(evaluate.ast),
    matches: (input) => evaluate(context(input)) === true,
    conjuncts,
    outcome: outcomeOf(rule),
    mayCostMoreThanLinear: mayCostMoreThanLinear(evaluate.ast),
  };
}

/** `a && b && c` → ["a", "b", "c"] (source text of each part); anything else → [whole]. */
function topLevelConjuncts(ast: ASTNode, source: string, readsAlone: (text: string) => boolean): string[] {
  if (ast.op !== '&&') return [partText(ast, source, readsAlone)];
  return (ast.args as ASTNode[]).flatMap((part) => topLevelConjuncts(part, source, readsAlone));
}

/**
 * A node's source text. Its position leaves out the parentheses around its first and last operands
 * (`(a && b) || (c)` starts at `a` and ends at `c`), so the text is widened by the parentheses
 * around it until it reads alone.
 */
function partText(node: ASTNode, source: string, readsAlone: (text: string) => boolean): string {
  let [from, to] = [node.start, node.end];
  while (!readsAlone(source.slice(from, to))) {
    const open = source.slice(0, from).search(/\(\s*$/);
    const close = /^\s*\)/.exec(source.slice(to));
    if (open === -1 || !close) break;
    [from, to] = [open, to + close[0].length];
  }
  return source.slice(from, to);
}

function describe(outcome: CompiledRule['outcome']): string {
  if (outcome.effect === 'allow') return 'allowed';
  if (outcome.effect === 'deny') return `denied${outcome.reason ? `: ${outcome.reason}` : ''}`;
  const stages = outcome.approval!.stages;
  const text = stages.map(
    (stage) =>
      `${stage.quorum} approval(s) from ${stage.groups.join(' or ')}${stage.distinctGroups ? ' (distinct groups)' : ''}`,
  );
  return stages.length === 1 ? `needs ${text[0]}` : `needs ${text.join(', escalating to ')}`;
}

function valueOrError(evaluate: () => unknown): unknown {
  try {
    return evaluate();
  } catch (error) {
    return { error: (error as Error).message };
  }
}

export function compilePolicy(file: string, text: string): Policy {
  const { value } = parseYamlText(file, text, policyFileSchema);
  const names = new Set<string>();
  for (const rule of value.rules) {
    if (names.has(rule.name)) throw new ConfigurationError(`${file}: two rules are named "${rule.name}"`);
    names.add(rule.name);
  }
  const environment = celEnvironment();
  const rules = value.rules.map((rule, index) => compileRule(environment, file, rule, index));
  const fallback = outcomeOf(value.default);
  const version = `sha256:${createHash('sha256').update(text).digest('hex')}`;

  const timeoutMs = parseDurationMs(value.evaluationTimeout)!;
  // Rules before the first that may cost more than linearly run as they are; from it on, the
  // decision runs under the time limit, whose watchdog thread costs more than a cheap decision.
  const costly = rules.findIndex((rule) => rule.mayCostMoreThanLinear);
  const firstBounded = costly === -1 ? rules.length : costly;

  /** The first of `rules[from, to)` that matches; `watch.running` names the rule being evaluated. */
  const firstMatch = (
    input: PolicyInput,
    [from, to]: [number, number],
    watch: { running?: CompiledRule },
    onMiss?: (rule: CompiledRule) => void,
  ): PolicyDecision | undefined => {
    for (const rule of rules.slice(from, to)) {
      watch.running = rule;
      let matched: boolean;
      try {
        matched = rule.matches(input);
      } catch (error) {
        // Fail closed: a rule that cannot be evaluated must not let a later, looser rule decide.
        return {
          effect: 'deny',
          rule: rule.name,
          reason: 'the policy could not be evaluated',
          explanation: `rule "${rule.name}" (${rule.source}) failed to evaluate: ${(error as Error).message}; denied to fail closed`,
          version,
        };
      }
      if (matched) {
        return {
          ...rule.outcome,
          rule: rule.name,
          explanation: `rule "${rule.name}" matched (${rule.source}): ${describe(rule.outcome)}`,
          version,
        };
      }
      onMiss?.(rule);
    }
    return undefined;
  };

  /** Stopped, as an error is: a rule that did not finish must not let a later, looser rule decide. */
  const stoppedAt = (rule: CompiledRule): PolicyDecision => ({
    effect: 'deny',
    rule: rule.name,
    reason: 'the policy took too long to evaluate this command',
    explanation:
      `rule "${rule.name}" (${rule.source}) did not finish within ${value.evaluationTimeout} ` +
      "(the policy's evaluationTimeout); denied to fail closed: split the command into smaller ones",
    version,
  });

  const decide = (input: PolicyInput, onMiss?: (rule: CompiledRule) => void): PolicyDecision => {
    const watch: { running?: CompiledRule } = {};
    const early = firstMatch(input, [0, firstBounded], watch, onMiss);
    if (early) return early;
    if (firstBounded < rules.length) {
      const rest = withinTime(timeoutMs, () => firstMatch(input, [firstBounded, rules.length], watch, onMiss));
      if (!rest.finished) return stoppedAt(watch.running!);
      if (rest.value) return rest.value;
    }
    return {
      ...fallback,
      rule: 'default',
      explanation: `no rule matched; the default applies: ${describe(fallback)}`,
      version,
    };
  };

  const spellings = new Map<string, string[]>();
  for (const name of rules.flatMap((rule) => rule.names)) {
    const spelled = spellings.get(foldedKey(name)) ?? [];
    if (!spelled.includes(name)) spellings.set(foldedKey(name), [...spelled, name]);
  }

  return {
    version,
    safeFunctions: new Set(value.safeFunctions),
    spellings,
    bodyEnvelopes: new Set(rules.flatMap((rule) => rule.envelopes)),
    comparedLiterals: mergedComparisons(rules.flatMap((rule) => rule.comparisons)),
    ruleCount: rules.length,
    decide: (input) => decide(input),
    explain(input) {
      const misses: RuleMiss[] = [];
      const decision = decide(input, (rule) =>
        misses.push({
          rule: rule.name,
          when: rule.source,
          parts: rule.conjuncts.map((part) => ({
            source: part.source,
            value: valueOrError(() => part.evaluate(input)),
          })),
        }),
      );
      return { decision, misses };
    },
  };
}

/** One comparison per field, with its literals in the order the rules write them. */
function mergedComparisons(comparisons: LiteralComparison[]): LiteralComparison[] {
  const byField = new Map<string, LiteralComparison>();
  for (const { in: where, path, each, literals } of comparisons) {
    const key = JSON.stringify([where, path, each]);
    const known = byField.get(key) ?? { in: where, path, ...(each && { each }), literals: [] };
    byField.set(key, { ...known, literals: [...new Set([...known.literals, ...literals])] });
  }
  return [...byField.values()];
}

export function loadPolicy(file: string): Policy {
  return compilePolicy(file, readConfigFile(file));
}
