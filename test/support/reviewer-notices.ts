// A reviewer notice as the notify activity builds it from the records: the one the README's Slack
// picture shows, with any command in it.
import type { ReviewerNotice } from '../../temporal/contract';
import { reviewerMessage, slackBody } from '../../notifications/webhook-bodies';

const demoNotice = (command = "UPDATE customers SET plan = 'pro' WHERE id = 2"): ReviewerNotice => ({
  event: 'approval_requested',
  request: {
    id: 'req_01JDEMO0000000000000000000',
    agent: 'billing-agent',
    connector: 'postgres',
    target: 'app-db',
    command: { sql: command },
    reason: 'Customer upgraded in the billing system (ticket BILL-4411)',
    metadata: {},
  },
  policy: {
    rule: 'writes-need-a-dba',
    risk: 'high',
    explanation: 'a write needs a dba',
    grant: { maxUses: 5, maxForMs: 3_600_000 },
  },
  impact: {
    available: true,
    exact: true,
    estimatedRows: 1,
    rows: 1,
    seqScan: false,
    statements: [
      {
        kind: 'update',
        estimatedRows: 1,
        rows: 1,
        tables: ['public.customers'],
        indexes: ['customers_pkey'],
        seqScans: [],
      },
    ],
    tookMs: 4,
  },
  approval: {
    stage: 1,
    stageCount: 1,
    groups: ['dba'],
    quorum: 1,
    distinctGroups: false,
    channels: ['api', 'temporal'],
    onTimeout: 'reject',
    deadline: '2026-12-01T18:30:00.000Z',
  },
});

/** The interactive Slack body of demoNotice(command). */
export const demoSlackNotice = (command?: string) =>
  slackBody(
    reviewerMessage(demoNotice(command), 'https://gate.example.com/v1/requests/req_01JDEMO0000000000000000000', []),
    {
      interactive: true,
    },
  );
