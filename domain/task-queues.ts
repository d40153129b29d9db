// Where the executor's work goes. Imported by workflow code: nothing but plain TypeScript.

/**
 * The executor's task queue: the orchestrator's, with `-executor`. A request's workflow derives it
 * from the task queue it runs on, never from its input, so a start of the gate's workflow cannot
 * send the command, or the preview, to a queue of someone's own (ADR 029).
 */
export const executorTaskQueueOf = (orchestratorTaskQueue: string): string => `${orchestratorTaskQueue}-executor`;
