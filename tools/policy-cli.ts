// `npm run policy -- check --policy FILE --request JSON` and `npm run policy -- test FILE`:
// try a policy against a request, and run a policy's test cases the way OPA policies are tested.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { prepareSqlParser } from '../connectors/postgres/sql-facts';
import { CONNECTORS, type PolicyDecision, RISKS } from '../domain/request';
import { formatDurationMs } from '../domain/duration';
import { type Policy, loadPolicy } from '../policy/policy';
import { explainDecision } from '../connectors/policy-input';
import { ConfigurationError } from '../config/env';
import { loadYamlFile } from '../config/yaml-file';

const USAGE = `usage:
  npm run policy -- check --policy FILE --request JSON [--json]
  npm run policy -- test FILE

check  prints the decision, the rule that matched, the facts extracted and why earlier rules did not match
test   runs a YAML file of cases (policy: FILE, cases: [{name, request, expect: {effect, rule?, risk?}}])
JSON   {"target": "app-db", "sql": "UPDATE ...", "agent"?, "connector"?: "postgres", "reason"?, "metadata"?}`;

// A request as a policy author writes it: only target and SQL are required.
const requestSchema = z
  .object({
    agent: z.string().default('policy-cli'),
    connector: z.enum(CONNECTORS).default('postgres'),
    target: z.string().min(1),
    sql: z.string().min(1),
    reason: z.string().default(''),
    metadata: z.record(z.string(), z.string()).default({}),
  })
  .strict();

const testFileSchema = z
  .object({
    policy: z.string().min(1),
    cases: z
      .array(
        z
          .object({
            name: z.string().min(1),
            request: requestSchema,
            expect: z
              .object({
                effect: z.enum(['allow', 'deny', 'require_approval']),
                rule: z.string().optional(),
                risk: z.enum(RISKS).optional(),
              })
              .strict(),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

function evaluate(policy: Policy, request: z.infer<typeof requestSchema>) {
  const { sql, ...rest } = request;
  return explainDecision(policy, { ...rest, command: { sql } });
}

const show = (value: unknown) => JSON.stringify(value);

function describeStages(decision: PolicyDecision): string[] {
  return (decision.approval?.stages ?? []).map(
    (stage, index) =>
      `stage ${index + 1}: ${stage.quorum} of ${stage.groups.join(', ')}${stage.distinctGroups ? ' (distinct groups)' : ''}, ` +
      `timeout ${formatDurationMs(stage.timeoutMs)} then ${stage.onTimeout}, channels ${stage.channels.join(', ')}`,
  );
}

function check(args: string[]): number {
  const { values } = parseArgs({
    args,
    options: { policy: { type: 'string' }, request: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  if (!values.policy || !values.request) throw new UsageError('check needs --policy FILE and --request JSON');
  let raw: unknown;
  try {
    raw = JSON.parse(values.request);
  } catch (error) {
    throw new UsageError(`--request is not JSON: ${(error as Error).message}`);
  }
  const parsed = requestSchema.safeParse(raw);
  if (!parsed.success)
    throw new UsageError(
      `--request: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  const result = evaluate(loadPolicy(values.policy), parsed.data);
  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
    return 0;
  }
  const { decision, facts, misses } = result;
  const lines = [
    `decision:  ${decision.effect}${decision.reason ? ` (${decision.reason})` : ''}`,
    `rule:      ${decision.rule}`,
    `risk:      ${decision.risk ?? 'not set'}`,
    `why:       ${decision.explanation}`,
    ...describeStages(decision).map((stage) => `approval:  ${stage}`),
    `version:   ${decision.version}`,
    'facts:',
    ...(facts
      ? Object.entries(facts).map(([key, value]) => `  sql.${key} = ${show(value)}`)
      : ['  (none: the SQL does not parse)']),
    misses.length > 0 ? 'earlier rules that did not match:' : 'earlier rules that did not match: none',
    ...misses.flatMap((miss) => [
      `  ${miss.rule}: ${miss.when}`,
      ...miss.parts.map((part) => `    ${show(part.value).padEnd(6)} ${part.source}`),
    ]),
  ];
  console.log(lines.join('\n'));
  return 0;
}

function runTests(args: string[]): number {
  const file = args[0];
  if (!file || args.length > 1) throw new UsageError('test needs exactly one FILE');
  const { value } = loadYamlFile(file, testFileSchema);
  const policy = loadPolicy(path.resolve(path.dirname(file), value.policy));
  let failed = 0;
  for (const testCase of value.cases) {
    const { decision } = evaluate(policy, testCase.request);
    const expected = testCase.expect;
    const problems = [
      decision.effect !== expected.effect && `effect ${decision.effect}, expected ${expected.effect}`,
      expected.rule !== undefined &&
        decision.rule !== expected.rule &&
        `rule ${decision.rule}, expected ${expected.rule}`,
      expected.risk !== undefined &&
        decision.risk !== expected.risk &&
        `risk ${decision.risk ?? 'not set'}, expected ${expected.risk}`,
    ].filter(Boolean);
    if (problems.length === 0) {
      console.log(`ok    ${testCase.name}`);
    } else {
      failed += 1;
      console.log(`FAIL  ${testCase.name}: ${problems.join('; ')}\n      ${decision.explanation}`);
    }
  }
  console.log(
    `${value.cases.length - failed} passed, ${failed} failed (${value.cases.length} cases, policy ${policy.version.slice(0, 19)})`,
  );
  return failed > 0 ? 1 : 0;
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  await prepareSqlParser();
  if (command === 'check') return check(rest);
  if (command === 'test') return runTests(rest);
  throw new UsageError(command ? `unknown command ${command}` : 'no command given');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) console.error(`${error.message}\n\n${USAGE}`);
    else if (error instanceof ConfigurationError) console.error(error.message);
    else console.error(error);
    process.exit(2);
  },
);
