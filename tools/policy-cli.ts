// `npm run policy -- check --policy FILE --request JSON`, `npm run policy -- test FILE` and
// `npm run policy -- backtest --policy FILE`: try a policy against a request, run a policy's test
// cases the way OPA policies are tested, and replay the recorded history through a new policy.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { prepareConnectors } from '../connectors/registry';
import { CONNECTORS, type Command, type PolicyDecision, RISKS } from '../domain/request';
import { formatDurationMs, parseDurationMs } from '../domain/duration';
import { type Policy, loadPolicy } from '../policy/policy';
import { explainDecision } from '../connectors/policy-input';
import { ConfigurationError } from '../config/env';
import { type TargetEntry, loadTargetCatalogue } from '../config/target-catalogue';
import { loadYamlFile } from '../config/yaml-file';
import { createPool } from '../store/pool';
import { backtest, formatBacktest } from './policy-backtest';

const USAGE = `usage:
  npm run policy -- check --policy FILE --request JSON [--targets FILE] [--json]
  npm run policy -- test FILE
  npm run policy -- backtest --policy FILE [--since 30d] [--database URL] [--targets FILE] [--json] [--fail-on-loosening] [--limit 20]

check  prints the decision, the rule that matched, the facts extracted and why earlier rules did not match
test   runs a YAML file of cases (policy: FILE, targets?: FILE, cases: [{name, request, expect: {effect, rule?, risk?}}])
--targets (else TARGETS_FILE; a test file's targets:) judges a request with its target's settings, as the workers
       do: a PostgreSQL target's searchPath, a MySQL target's database, an HTTP target's routing, an SSH target's
       directory; without one, the defaults apply.
backtest  replays every request recorded since --since (default 30d) in the gate's database (--database, else
          DATABASE_URL) through the policy: counts by old → new decision, then the requests it would allow without
          approval, then other changes (--limit of each listed). Exit 1 with --fail-on-loosening when any would be
          newly allowed. Progress goes to stderr.
JSON   {"target": "app-db", "sql": "UPDATE ..." (or "command": {"method": "POST", "path": "/refunds", ...} for http,
        {"argv": ["systemctl", "restart", "nginx"]} for ssh, {"verb": "patch", "apiVersion": "apps/v1", ...} for kubernetes), "agent"?,
        "connector"?: "postgres", "reason"?, "metadata"?,
        "impact"?: {"exact"?, "estimatedRows"?, "rows"?, "seqScan"?, "available"?}  (the second pass, after a preview)}`;

// A request as a policy author writes it: the target and `sql` (or, for the other connectors, `command`).
const requestSchema = z
  .object({
    agent: z.string().default('policy-cli'),
    connector: z.enum(CONNECTORS).default('postgres'),
    target: z.string().min(1),
    sql: z.string().min(1).optional(),
    /** A command of another shape: `{method, path, ...}` for http, `{argv}` for ssh, `{verb, apiVersion, resource, ...}` for kubernetes. */
    command: z.record(z.string(), z.unknown()).optional(),
    reason: z.string().default(''),
    metadata: z.record(z.string(), z.string()).default({}),
    /** An impact preview, to see what the second pass decides (`impact.*`). */
    impact: z
      .object({
        available: z.boolean().default(true),
        exact: z.boolean().default(false),
        estimatedRows: z.number().int().min(0).default(0),
        rows: z.number().int().min(0).default(0),
        seqScan: z.boolean().default(false),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((request) => (request.sql === undefined) !== (request.command === undefined), {
    message: 'give either sql or command',
  });

const testFileSchema = z
  .object({
    policy: z.string().min(1),
    /** A targets file (as TARGETS_FILE), relative to this file: each case is judged with its target's settings. */
    targets: z.string().min(1).optional(),
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

/** The targets by name from a targets file, as the API and the orchestrator read it (no credentials). */
type Targets = ReadonlyMap<string, TargetEntry>;
const targetsIn = (file: string | undefined): Targets | undefined =>
  file ? new Map(loadTargetCatalogue(file).map((target) => [target.name, target])) : undefined;

function evaluate(policy: Policy, request: z.infer<typeof requestSchema>, targets?: Targets) {
  const { sql, command, impact, ...rest } = request;
  const target = targets?.get(request.target);
  return explainDecision(
    policy,
    { ...rest, command: command ? (command as unknown as Command) : { sql: sql! } },
    { ...(impact && { impact }), ...(target && { target }) },
  );
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
    options: {
      policy: { type: 'string' },
      request: { type: 'string' },
      targets: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
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
  const result = evaluate(
    loadPolicy(values.policy),
    parsed.data,
    targetsIn(values.targets ?? process.env.TARGETS_FILE),
  );
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
    ...(decision.maxRows !== undefined ? [`maxRows:   ${decision.maxRows}`] : []),
    `version:   ${decision.version}`,
    'facts:',
    ...(facts
      ? Object.entries(facts).flatMap(([namespace, values]) =>
          Object.entries(values as object).map(([key, value]) => `  ${namespace}.${key} = ${show(value)}`),
        )
      : ['  (none: the connector cannot read the command)']),
    ...Object.entries(parsed.data.impact ?? { available: false }).map(
      ([key, value]) => `  impact.${key} = ${show(value)}`,
    ),
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
  const targets = targetsIn(value.targets && path.resolve(path.dirname(file), value.targets));
  let failed = 0;
  for (const testCase of value.cases) {
    const { decision } = evaluate(policy, testCase.request, targets);
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

/** Progress on stderr at most once a second: rewritten in place on a terminal, a line each otherwise. */
function progressLine(): (done: number, total: number) => void {
  let shown = 0;
  return (done, total) => {
    if (Date.now() - shown < 1000 && done < total) return;
    shown = Date.now();
    process.stderr.write(`backtest: ${done}/${total} requests${process.stderr.isTTY && done < total ? '\r' : '\n'}`);
  };
}

async function runBacktest(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      policy: { type: 'string' },
      since: { type: 'string', default: '30d' },
      database: { type: 'string' },
      json: { type: 'boolean', default: false },
      'fail-on-loosening': { type: 'boolean', default: false },
      limit: { type: 'string', default: '20' },
      'page-size': { type: 'string', default: '500' },
      targets: { type: 'string' },
    },
  });
  if (!values.policy) throw new UsageError('backtest needs --policy FILE');
  // As the workers judged: each target's search path, database, routing and directory.
  const targets = targetsIn(values.targets ?? process.env.TARGETS_FILE);
  const sinceMs = parseDurationMs(values.since);
  if (sinceMs === undefined) throw new UsageError(`--since ${values.since} is not a duration such as 30d or 12h`);
  const limit = Number(values.limit);
  const pageSize = Number(values['page-size']);
  if (!Number.isInteger(limit) || limit < 0) throw new UsageError('--limit is a whole number');
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 10_000)
    throw new UsageError('--page-size is a whole number from 1 to 10000');
  const database = values.database ?? process.env.DATABASE_URL;
  if (!database) throw new UsageError("backtest needs the gate's database: --database URL or DATABASE_URL");
  const policy = loadPolicy(values.policy);
  const pool = createPool(database, 1);
  try {
    const report = await backtest(pool, policy, {
      since: new Date(Date.now() - sinceMs),
      pageSize,
      limit,
      ...(targets && { targets }),
      onProgress: progressLine(),
    });
    console.log(values.json ? JSON.stringify(report, null, 2) : formatBacktest(report));
    return values['fail-on-loosening'] && report.newlyAllowed.count > 0 ? 1 : 0;
  } finally {
    await pool.end();
  }
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  await prepareConnectors();
  if (command === 'check') return check(rest);
  if (command === 'test') return runTests(rest);
  if (command === 'backtest') return runBacktest(rest);
  throw new UsageError(command ? `unknown command ${command}` : 'no command given');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // parseArgs refuses an unknown option or a stray argument with a code of its own: a usage error too.
    const badArguments = (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS_');
    if (error instanceof UsageError || badArguments) console.error(`${(error as Error).message}\n\n${USAGE}`);
    else if (error instanceof ConfigurationError) console.error(error.message);
    else console.error(error);
    process.exit(2);
  },
);
