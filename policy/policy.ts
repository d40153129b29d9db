import { createHash } from 'node:crypto';
import { Environment } from '@marcbachmann/cel-js';
import type { ApprovalStage, PolicyDecision, PrivilegedRequest, Risk } from '../domain/request';
import { ConfigurationError } from '../settings/env';
import { parseYamlText, readConfigFile } from '../settings/yaml-file';
import type { SqlFacts } from '../connectors/postgres/sql-facts';
import { parseDurationMs } from './duration';
import { type ApprovalSpec, type PolicyFile, policyFileSchema } from './schema';

/** Everything a condition can see; `sql` is present for the postgres connector. */
export interface PolicyInput {
  request: Pick<PrivilegedRequest, 'id' | 'agent' | 'connector' | 'target' | 'reason' | 'metadata'>;
  sql?: SqlFacts;
}

interface CompiledRule {
  name: string;
  source: string;
  matches: (input: PolicyInput) => boolean;
  outcome: Omit<PolicyDecision, 'rule' | 'explanation' | 'version'>;
}

export interface Policy {
  /** sha256 of the file's text: recorded with every decision. */
  version: string;
  ruleCount: number;
  decide(input: PolicyInput): PolicyDecision;
}

const NO_SQL: SqlFacts = { readOnly: false, kinds: [], tables: [], functions: [], statementCount: 0, statements: [] };

// Conditions are type-checked against these shapes at load, so a typo such as
// `sql.readOnyl` stops start-up instead of silently never matching.
function celEnvironment(): Environment {
  return new Environment()
    .registerVariable({
      name: 'request',
      schema: { id: 'string', agent: 'string', connector: 'string', target: 'string', reason: 'string', metadata: 'map<string, string>' },
    })
    .registerVariable({
      name: 'sql',
      schema: {
        readOnly: 'bool',
        kinds: 'list<string>',
        tables: 'list<string>',
        functions: 'list<string>',
        statementCount: 'int',
        statements: 'list<map<string, dyn>>',
      },
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
  }));
}

function outcomeOf(spec: { effect: PolicyDecision['effect']; reason?: string; risk?: Risk; approval?: ApprovalSpec }): CompiledRule['outcome'] {
  return {
    effect: spec.effect,
    ...(spec.reason !== undefined && { reason: spec.reason }),
    ...(spec.risk !== undefined && { risk: spec.risk }),
    ...(spec.effect === 'require_approval' && spec.approval && { approval: { stages: toStages(spec.approval) } }),
  };
}

function compileRule(environment: Environment, file: string, rule: PolicyFile['rules'][number], index: number): CompiledRule {
  const where = `${file}: rule ${index + 1} "${rule.name}"`;
  let evaluate: ReturnType<Environment['parse']>;
  try {
    evaluate = environment.parse(rule.when);
    const checked = evaluate.check();
    if (!checked.valid) throw checked.error ?? new Error('the expression does not type-check');
    if (checked.type !== 'bool' && checked.type !== 'dyn') throw new Error(`the condition must be a bool, but it is ${checked.type}`);
  } catch (error) {
    throw new ConfigurationError(`${where}: bad condition \`${rule.when}\`: ${(error as Error).message}`);
  }
  return {
    name: rule.name,
    source: rule.when,
    matches: (input) => evaluate({ request: input.request, sql: input.sql ?? NO_SQL }) === true,
    outcome: outcomeOf(rule),
  };
}

function describe(outcome: CompiledRule['outcome']): string {
  if (outcome.effect === 'allow') return 'allowed';
  if (outcome.effect === 'deny') return `denied${outcome.reason ? `: ${outcome.reason}` : ''}`;
  const stage = outcome.approval!.stages[0]!;
  return `needs ${stage.quorum} approval(s) from ${stage.groups.join(' or ')}`;
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

  return {
    version,
    ruleCount: rules.length,
    decide(input) {
      for (const rule of rules) {
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
          return { ...rule.outcome, rule: rule.name, explanation: `rule "${rule.name}" matched (${rule.source}): ${describe(rule.outcome)}`, version };
        }
      }
      return { ...fallback, rule: 'default', explanation: `no rule matched; the default applies: ${describe(fallback)}`, version };
    },
  };
}

export function loadPolicy(file: string): Policy {
  return compilePolicy(file, readConfigFile(file));
}
