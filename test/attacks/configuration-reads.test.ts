// Class 14: configuration reads. Someone with Temporal namespace access runs a workflow of their own
// that asks the orchestrator's task queue what policy would decide on commands of their choosing
// (which rule lets a command through unreviewed, which groups must approve the rest) and which
// groups a reviewer is in, including what an SSO reviewer's last sign-in recorded. The gate's own
// workflows ask these as local activities; nobody else gets an answer, under any workflow id.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { PrivilegedRequest } from '../../domain/request';
import { recordSsoReviewer } from '../../store/sso-reviewers';
import type { readConfiguration } from './rogue/workflows';
import { runRogueWorkflow } from './rogue-worker';
import { type AttackStack, startAttackStack, submitPending, tally } from './support';

const POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: quiet-hours-reads
    when: sql.readOnly && request.metadata.ticket == "OPS-1"
    effect: allow
  - name: payroll-needs-finance
    when: sql.tables.exists(t, t == "payroll")
    effect: require_approval
    approval: { groups: [finance-leads], quorum: 2, timeout: 30m }
`;
const SSO_REVIEWER = 'sso.mallory-target';

let stack: AttackStack;

before(async () => {
  stack = await startAttackStack(POLICY);
  await recordSsoReviewer(stack.admin, {
    id: SSO_REVIEWER,
    subject: 'idp|4242',
    groups: ['dba', 'payroll-admins'],
    validUntil: new Date(Date.now() + 3_600_000),
  });
});

after(async () => {
  await stack?.stop();
});

const probe = (id: string, sql: string, metadata: Record<string, string> = {}): PrivilegedRequest => ({
  id,
  agent: 'billing-agent',
  connector: 'postgres',
  target: 'app-db',
  command: { sql },
  reason: 'a probe',
  metadata,
});

test('a workflow of their own learns neither what policy decides nor who is in which group', async () => {
  // A request's id that is free: its workflow was terminated while it waited.
  const freed = await submitPending(stack, 'UPDATE vault SET gold = gold - 1 WHERE id = 1', 'waits for a dba');
  await stack.client.workflow.getHandle(freed).terminate('the attacker frees the id');

  const queue = stack.settings.TEMPORAL_TASK_QUEUE;
  const requests = (id: string) => [
    // Which reads go through unreviewed, and on what condition.
    probe(id, 'SELECT * FROM payroll', { ticket: 'OPS-1' }),
    probe(id, 'SELECT 1'),
    // Whom a write on payroll needs, and how many.
    probe(id, 'UPDATE payroll SET salary = salary * 2'),
  ];
  const reviewers = ['carol', SSO_REVIEWER, 'billing-agent'];
  const underOwnId = await runRogueWorkflow<typeof readConfiguration>(stack.settings, 'readConfiguration', undefined, [
    queue,
    requests('req_probe'),
    reviewers,
  ]);
  // Under the freed request's id, asking about that very request, as its own workflow would.
  const underFreedId = await runRogueWorkflow<typeof readConfiguration>(stack.settings, 'readConfiguration', freed, [
    queue,
    requests(freed),
    reviewers,
  ]);

  const answers = [...underOwnId, ...underFreedId];
  tally(
    'configuration read from a workflow of their own',
    answers.length,
    answers.filter((said) => said.startsWith('answered')).length,
  );
  for (const said of answers)
    assert.match(
      said,
      /^refused: .*(only as a local activity|is not req_\w+'s own workflow)/,
      `an answer reached the attacker: ${said}`,
    );
  const everything = answers.join('\n');
  for (const secret of ['quiet-hours-reads', 'finance-leads', 'payroll-admins', 'oncall', 'OPS-1'])
    assert.ok(!everything.includes(secret), `${secret} reached the attacker`);
});
