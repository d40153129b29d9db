// Class: input nested deeper than a process's stack. Everything the gate judges or carries is a tree
// (a SQL command's syntax tree, an HTTP command's JSON body, a target's JSON answer), and walking a
// tree recursively needs stack in proportion to its depth. A few kilobytes of brackets can be
// thousands of levels deep. Each variant sends such a command through the API as an agent, under a
// policy that allows reads and note writes at once. The attack succeeds if the gate answers with a
// 5xx, refuses in the words of an exhausted stack (a refusal that depends on which process judged the
// command, and how deep its stack happened to be, not on the command), or accepts a command whose
// request then does not settle: every accepted command must end, or wait for reviewers, in the gate's
// words, and the gate must still serve a plain read afterwards.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type HttpTargetServer } from '../../tools/harness/http-target';
import {
  type AttackStack,
  withHttpTarget,
  READS_ALLOWED_POLICY,
  send,
  startAttackStackWithHttpTarget,
  submitBody,
  tally,
  waitFor,
} from './support';

const POLICY = `${READS_ALLOWED_POLICY}  - name: http-reads
    when: request.connector == "http" && http.readOnly
    effect: allow
  - name: counter-writes
    when: sql.tables.all(t, t in ["nest_w", "public.nest_w"])
    effect: allow
    maxRows: 5
  - name: notes
    when: request.connector == "http" && http.method == "POST" && http.path == "/notes"
    effect: allow
`;

const TARGETS = withHttpTarget(
  'notes-api',
  `    methods: [GET, POST]
    pathPrefixes: [/notes, /deep]
    timeout: 5s
`,
);

/** Words that say a stack ran out, whichever process and library said them. */
const EXHAUSTED_STACK = /call stack|stack size|stack depth|too much recursion/i;
const SETTLED = [
  'succeeded',
  'failed',
  'denied',
  'rejected',
  'expired',
  'cancelled',
  'outcome_unknown',
  'pending_approval',
];

const nested = (open: string, inner: string, close: string, levels: number) =>
  `${open.repeat(levels)}${inner}${close.repeat(levels)}`;

const onPostgres = (sql: string) => submitBody(sql, 'nesting');
const onMysql = (sql: string) => ({ ...submitBody(sql, 'nesting'), connector: 'mysql', target: 'shop-db' });
const onNotes = (command: Record<string, unknown>) => ({
  connector: 'http',
  target: 'notes-api',
  command,
  reason: 'nesting',
});
// Written out as text: the test's own JSON.stringify would run out of stack on it first.
const deepNote = (levels: number) =>
  `{"connector":"http","target":"notes-api","reason":"nesting","command":{"method":"POST","path":"/notes","body":{"note":${nested('[', '"x"', ']', levels)}}}}`;

const REFUSED_SQL = /^400 invalid_sql: the SQL nests too deeply for the gate to judge/;
const REFUSED_BODY = /^400 bad_request: the body nests deeper than 128 levels/;
const TOO_DEEP_RESULT = /^failed: the target sent a JSON value nested more than 128 levels deep/;

/** A write that was reported as not done must not have happened. */
async function counterUnchanged(): Promise<string | undefined> {
  const { rows } = await stack.target.query<{ v: number }>('SELECT v FROM nest_w');
  return rows[0]?.v === 1 ? undefined : `the write happened (v = ${String(rows[0]?.v)})`;
}

/**
 * Each variant, the answer it must get (the gate's outcome written as `<status> <code>: <message>`),
 * and what else must hold after it.
 */
const VARIANTS: [
  label: string,
  body: Record<string, unknown> | string,
  expected: RegExp,
  check?: () => Promise<string | undefined>,
][] = [
  ['postgres: 1,000 nested subqueries', onPostgres(`SELECT ${nested('(SELECT ', '1', ')', 1000)}`), REFUSED_SQL],
  ['postgres: 5,000 additions', onPostgres(`SELECT 1${'+1'.repeat(5000)}`), REFUSED_SQL],
  [
    'postgres: an update waiting for reviewers, 5,000 additions',
    onPostgres(`UPDATE nest_t SET v = 1${'+1'.repeat(5000)}`),
    REFUSED_SQL,
  ],
  ['postgres: 800 nested CASEs', onPostgres(`SELECT ${nested('CASE WHEN true THEN ', '1', ' END', 800)}`), REFUSED_SQL],
  [
    'postgres: 1,000 nested coalesce calls (their tree is 3,000 levels deep)',
    onPostgres(`SELECT ${nested('coalesce(', '1', ')', 1000)}`),
    REFUSED_SQL,
  ],
  ['mysql: 3,000 nested parentheses', onMysql(`SELECT ${nested('(', '1', ')', 3000)}`), REFUSED_SQL],
  ['mysql: 1,000 nested subqueries', onMysql(`SELECT ${nested('(SELECT ', '1', ')', 1000)}`), REFUSED_SQL],
  ['mysql: 5,000 additions', onMysql(`SELECT 1${'+1'.repeat(5000)}`), REFUSED_SQL],
  ['mysql: 1,000 nested CASEs', onMysql(`SELECT ${nested('CASE WHEN true THEN ', '1', ' END', 1000)}`), REFUSED_SQL],
  ['http: a note nested 3,000 deep', deepNote(3000), REFUSED_BODY],
  ['http: a note nested 20,000 deep', deepNote(20_000), REFUSED_BODY],
  [
    'postgres: a read returning JSON nested 3,000 deep',
    onPostgres(`SELECT ('${nested('[', '1', ']', 3000)}')::jsonb AS deep`),
    TOO_DEEP_RESULT,
  ],
  ['postgres: a read of a stored document nested 3,000 deep', onPostgres('SELECT doc FROM nest_t'), TOO_DEEP_RESULT],
  // Allowed at once, bounded by maxRows: the document comes back after the UPDATE, before COMMIT.
  [
    'postgres: an allowed write returning that document',
    onPostgres('UPDATE nest_w SET v = v + 1 RETURNING doc'),
    /^failed: the target sent a JSON value nested more than 128 levels deep: the executor closed the session before COMMIT, so the transaction was rolled back/,
    counterUnchanged,
  ],
  // The impact preview's dry run samples the rows it would change, document and all.
  [
    'postgres: an update whose dry run returns that document',
    onPostgres('UPDATE nest_t SET v = v + 1'),
    /^pending_approval/,
  ],
  // A body too deep to mask by field is masked as text, as a body that is not JSON is.
  [
    'http: a read answered with JSON nested 3,000 deep',
    onNotes({ method: 'GET', path: '/deep', query: { levels: '3000' } }),
    /^succeeded: "\[\[\[/,
  ],
];

let stack: AttackStack & { http: HttpTargetServer };

before(async () => {
  stack = await startAttackStackWithHttpTarget(POLICY, { targets: TARGETS });
  await stack.target.query(
    `DROP TABLE IF EXISTS nest_t; CREATE TABLE nest_t (v int, doc jsonb);
     INSERT INTO nest_t VALUES (1, '${nested('[', '1', ']', 3000)}');
     DROP TABLE IF EXISTS nest_w; CREATE TABLE nest_w AS SELECT * FROM nest_t`,
  );
});

after(async () => {
  await stack?.stop();
});

interface Outcome {
  /** `<status> <code>: <message>` for a refusal, `<status>: <error or result>` for a request. */
  said: string;
  /** What went wrong for the gate, if anything did. */
  harm?: string;
}

async function outcomeOf(body: Record<string, unknown> | string): Promise<Outcome> {
  const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', body);
  if (submitted.status !== 202) {
    const answer = submitted.json();
    const said = `${submitted.status} ${String(answer.error)}: ${String(answer.message)}`;
    if (submitted.status >= 500) return { said, harm: `answered ${said}` };
    return EXHAUSTED_STACK.test(said)
      ? { said, harm: `refused in the words of an exhausted stack: ${said}` }
      : { said };
  }
  const id = submitted.json<{ id: string }>().id;
  let view: Record<string, unknown>;
  try {
    view = await waitFor(stack, id, SETTLED, 30_000);
  } catch (error) {
    return { said: 'unsettled', harm: (error as Error).message };
  }
  const result = view.result as { body?: unknown } | undefined;
  const said = `${String(view.status)}: ${view.error == null ? JSON.stringify(result?.body ?? result ?? '') : String(view.error)}`;
  return EXHAUSTED_STACK.test(said)
    ? { said, harm: `${String(view.status)} in the words of an exhausted stack` }
    : { said };
}

test('nothing nested deeper than a stack walks around the gate or stalls it', async () => {
  const through: string[] = [];
  const unexpected: string[] = [];
  for (const [label, body, expected, check] of VARIANTS) {
    const { said, harm: answered } = await outcomeOf(body);
    const harm = answered ?? (await check?.());
    if (harm) through.push(`${label}: ${harm}`);
    if (!expected.test(said)) unexpected.push(`${label}: ${said.slice(0, 200)}`);
  }
  // After all of it the gate still serves plain reads, and what nests within the bounds runs.
  const controls: [body: Record<string, unknown> | string, expected: RegExp][] = [
    [onPostgres('SELECT 1 AS one'), /^succeeded/],
    [onMysql('SELECT 1 AS one'), /^succeeded/],
    [onPostgres(`SELECT ${nested('(SELECT ', '1', ')', 100)} AS deep`), /^succeeded/],
    [onPostgres(`SELECT ('${nested('[', '1', ']', 128)}')::jsonb AS deep`), /^succeeded/],
    [deepNote(120), /^succeeded: {"stored":/], // 123 levels with the submit's own three
  ];
  for (const [body, expected] of controls) assert.match((await outcomeOf(body)).said, expected);
  tally('input nested deeper than a stack', VARIANTS.length, through.length);
  assert.deepEqual(through, []);
  assert.deepEqual(unexpected, []);
});
