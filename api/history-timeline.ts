// GET /v1/requests/:id/history: the request's story told from its Temporal workflow history,
// the source of truth the PostgreSQL records are derived from. Payloads are decoded with the
// client's data converter (decrypted when PAYLOAD_KEYS is set).
import type { ImpactPreview } from '../domain/impact';
import type { LoadedDataConverter } from '@temporalio/common';
import { type PolicyDecision, type PrivilegedRequest, isSshResult, outcomeRecord } from '../domain/request';
import { recordingPath } from '../store/session-recordings';
import type {
  ActivityName,
  ExecutedOutcome,
  IgnoredVote,
  RecordedTransition,
  RecordedTransitions,
  RecordedVote,
  RequestWorkflowOptions,
} from '../temporal/contract';
import { type HistoryEvent, historyDecoder } from '../temporal/history-decoding';
import type { TimelineEntry } from './schemas';

type Step = Omit<TimelineEntry, 'eventId' | 'at'>;

/** The record activities, by type: what each recorded, as the story tells it. */
const transitionStep = ({ step, actor }: RecordedTransition): Step => ({ what: step, ...(actor && { actor }) });
const recordSteps: Partial<Record<ActivityName, (record: unknown) => Step[]>> = {
  recordTransition: (record) => [transitionStep(record as RecordedTransition)],
  recordTransitions: (record) => (record as RecordedTransitions).recorded.map(transitionStep),
  recordCountedVote: (record) => {
    const { vote, decidedStatus } = record as RecordedVote;
    const { reviewer: actor, channel } = vote;
    return [
      {
        what: `vote_counted:${vote.decision}`,
        actor,
        channel,
        detail: { verified: vote.verified, stage: vote.stage, comment: vote.comment },
      },
      // The deciding vote records the verdict in the same write.
      ...(decidedStatus ? [{ what: `status:${decidedStatus}`, actor, channel }] : []),
    ];
  },
  recordIgnoredVote: (record) => {
    const { vote, refusal } = record as IgnoredVote;
    return [
      { what: `vote_ignored:${vote.decision}`, actor: vote.reviewer, channel: vote.channel, detail: { refusal } },
    ];
  },
};

/** Remote record activities (before patch 'local-records'): the record is their input. */
const recordInInput: Partial<Record<ActivityName, (input: unknown[]) => unknown>> = {
  recordTransition: ([transition]) => transition,
  recordCountedVote: ([counted]) => counted,
  recordIgnoredVote: ([, vote, refusal]) => ({ vote, refusal }),
};

/** Activities whose result tells the story: the policy's decisions, the impact preview and the execution's outcome. */
function resultSteps(type: ActivityName, result: unknown, requestId: string): Step[] {
  if (type === 'evaluatePolicy') {
    const decision = result as PolicyDecision;
    return [
      {
        what: 'policy_decided',
        detail: { effect: decision.effect, rule: decision.rule, risk: decision.risk, version: decision.version },
      },
    ];
  }
  if (type === 'previewImpact') {
    const impact = result as ImpactPreview;
    const { available, exact, estimatedRows, rows, seqScan, note } = impact;
    return [{ what: 'impact_previewed', detail: { available, exact, estimatedRows, rows, seqScan, note } }];
  }
  if (type === 'executeCommand' || type === 'explainLostExecution') {
    const outcome = result as ExecutedOutcome;
    const { detail } = outcomeRecord(outcome);
    const hasRecording = outcome.status === 'succeeded' && isSshResult(outcome.result);
    return [
      {
        what: `execution_${outcome.status}`,
        detail: hasRecording ? { ...detail, recording: recordingPath(requestId) } : detail,
      },
      // The executor recorded the outcome itself (ADR 027): no record activity follows.
      ...(outcome.recorded ? [{ what: `status:${outcome.status}` }] : []),
    ];
  }
  return [];
}

/** Local activities leave a marker: Core's JSON with the activity type, and the result. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

export async function timelineOf(events: HistoryEvent[], converter: LoadedDataConverter): Promise<TimelineEntry[]> {
  const decoder = historyDecoder(converter);
  const decode = decoder.payloads;
  const scheduled = new Map<string, ActivityName>(); // scheduledEventId → activity type
  const timeline: TimelineEntry[] = [];
  let requestId = '';

  for (const event of events) {
    const add = (...steps: Step[]) => {
      const at = decoder.time(event);
      for (const step of steps) timeline.push({ eventId: Number(event.eventId), at, ...step });
    };

    if (event.workflowExecutionStartedEventAttributes) {
      const [request, options] = (await decode(event.workflowExecutionStartedEventAttributes.input)) as [
        PrivilegedRequest,
        RequestWorkflowOptions | undefined,
      ];
      requestId = request.id;
      add({
        what: 'submitted',
        actor: request.agent,
        detail: { connector: request.connector, target: request.target, reason: request.reason },
      });
      // Allowed at submit: the API decided and recorded what the workflow records for other requests.
      const allowed = options?.allowedAtSubmit;
      if (allowed)
        add(
          ...resultSteps('evaluatePolicy', allowed, requestId),
          { what: 'status:approved' },
          { what: 'status:executing' },
        );
    } else if (event.activityTaskScheduledEventAttributes) {
      const attributes = event.activityTaskScheduledEventAttributes;
      const type = (attributes.activityType?.name ?? '') as ActivityName;
      scheduled.set(String(event.eventId), type);
      const inInput = recordInInput[type];
      if (inInput) add(...recordSteps[type]!(inInput(await decode(attributes.input))));
    } else if (event.activityTaskStartedEventAttributes) {
      const type = scheduled.get(String(event.activityTaskStartedEventAttributes.scheduledEventId));
      if (type === 'executeCommand')
        add({ what: 'execution_started', detail: { attempt: event.activityTaskStartedEventAttributes.attempt } });
    } else if (event.activityTaskCompletedEventAttributes) {
      const attributes = event.activityTaskCompletedEventAttributes;
      const type = scheduled.get(String(attributes.scheduledEventId));
      if (type) add(...resultSteps(type, (await decode(attributes.result))[0], requestId));
    } else if (event.activityTaskFailedEventAttributes || event.activityTaskTimedOutEventAttributes) {
      const attributes = (event.activityTaskFailedEventAttributes ?? event.activityTaskTimedOutEventAttributes)!;
      if (scheduled.get(String(attributes.scheduledEventId)) === 'executeCommand') {
        add({ what: 'execution_lost', detail: { error: await decoder.failureMessage(attributes.failure) } });
      }
    } else if (event.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER) {
      const { details } = event.markerRecordedEventAttributes;
      if (!details?.result) continue; // the attempt failed; a later marker has the outcome
      const [data] = (await decode(details.data)) as [{ activity_type?: string } | undefined];
      const type = (data?.activity_type ?? '') as ActivityName;
      const [result] = await decode(details.result);
      add(...(recordSteps[type]?.(result) ?? resultSteps(type, result, requestId)));
    } else if (event.workflowExecutionSignaledEventAttributes) {
      const attributes = event.workflowExecutionSignaledEventAttributes;
      const [payload] = await decode(attributes.input);
      const claimed = (payload as { reviewer?: unknown } | undefined)?.reviewer;
      add({
        what: `signal:${attributes.signalName}`,
        ...(typeof claimed === 'string' && { actor: claimed }),
        channel: 'temporal',
        detail: { verified: false },
      });
    } else if (event.workflowExecutionUpdateAcceptedEventAttributes) {
      // An update only says it came through the API; vote verification (before execution) checks
      // that PostgreSQL holds it, so the received entry claims nothing about verification.
      const request = event.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest;
      const [ballot] = (await decode(request?.input?.args)) as [
        { reviewer?: string; agent?: string; decision?: string },
      ];
      const name = request?.input?.name ?? 'update';
      add({
        what: name === 'decide' ? `vote:${ballot.decision}` : `update:${name}`,
        actor: ballot.reviewer ?? ballot.agent ?? '',
        channel: 'api',
      });
    } else if (event.timerFiredEventAttributes) {
      add({ what: 'deadline_passed' });
    } else if (event.workflowExecutionCompletedEventAttributes) {
      const [status] = await decode(event.workflowExecutionCompletedEventAttributes.result);
      add({ what: 'finished', detail: { status } });
    } else if (event.workflowExecutionTerminatedEventAttributes) {
      add({ what: 'terminated', detail: { reason: event.workflowExecutionTerminatedEventAttributes.reason } });
    } else if (
      event.workflowExecutionFailedEventAttributes ||
      event.workflowExecutionTimedOutEventAttributes ||
      event.workflowExecutionCanceledEventAttributes
    ) {
      add({ what: 'workflow_ended_abnormally' });
    }
  }
  return timeline;
}
