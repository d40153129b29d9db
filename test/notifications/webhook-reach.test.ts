// Which stages have a webhook to hear their notices: pure logic over a decision and the webhooks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Webhook } from '../../config/webhooks';
import type { ApprovalStage, PolicyDecision } from '../../domain/request';
import { groupsSpokenFor, markNotifiedStages } from '../../notifications/webhook-reach';

const webhook = (name: string, groups: string[]): Webhook => ({
  name,
  url: `https://hooks.example/${name}`,
  format: 'json',
  groups,
  allowPrivateNetwork: false,
  interactive: false,
  personalLinks: false,
});

const stage = (groups: string[]): ApprovalStage => ({
  groups,
  quorum: 1,
  timeoutMs: 60_000,
  onTimeout: 'escalate',
  channels: ['api', 'temporal'],
});

const needsApproval = (...stages: ApprovalStage[]): PolicyDecision => ({
  effect: 'require_approval',
  rule: 'writes',
  explanation: 'matched writes',
  version: 'v1',
  approval: { stages },
});

test('a webhook speaks for the groups it shares with the stage, and only those', () => {
  assert.deepEqual(groupsSpokenFor(webhook('dba', ['dba', 'sre']), ['sre', 'oncall']), ['sre']);
  assert.deepEqual(groupsSpokenFor(webhook('dba', ['dba']), ['oncall']), []);
});

test('each stage is marked by whether any webhook speaks for one of its groups', () => {
  const decision = needsApproval(stage(['oncall']), stage(['dba', 'leads']), stage(['leads']));
  const marked = markNotifiedStages(decision, [webhook('dba', ['dba']), webhook('security', ['security'])]);
  assert.deepEqual(
    marked.approval!.stages.map((each) => each.notified),
    [false, true, false],
  );
  // Nothing else about the decision or its stages changes, and the decision handed in is left as it was.
  assert.deepEqual(
    marked.approval!.stages.map(({ notified: _notified, ...rest }) => rest),
    decision.approval!.stages,
  );
  assert.equal(decision.approval!.stages[0]!.notified, undefined);
});

test('without webhooks every stage is unheard, and a decision without approval is handed back as it is', () => {
  const marked = markNotifiedStages(needsApproval(stage(['dba'])), []);
  assert.equal(marked.approval!.stages[0]!.notified, false);
  const allowed: PolicyDecision = { effect: 'allow', rule: 'reads', explanation: 'matched reads', version: 'v1' };
  assert.equal(markNotifiedStages(allowed, [webhook('dba', ['dba'])]), allowed);
});
