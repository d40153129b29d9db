// Where the API reads and judges commands (ADR 041). A small command is read on the API's thread:
// it costs tenths of a millisecond, less than handing it over. A larger one goes to an analysis
// thread, so no other caller waits behind it, and an analysis that runs past ANALYSIS_TIMEOUT_MS
// is stopped (its thread ended and replaced) and the command refused: a command the gate cannot
// read in that time is not one it can judge.
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { Policy } from '../policy/policy';
import type { AnalysisThreadData, ThreadTask } from './analysis-thread';
import { type Analysed, type AnalysisTask, type AnalysisValue, analyseHere } from './command-analysis';

/** Commands up to this many bytes of JSON are read on the API's thread (a parse of some milliseconds at most). */
export const ANALYSIS_INLINE_BYTES = 2048;

export interface Analyser {
  analyse<T extends AnalysisTask>(task: T): Promise<Analysed<AnalysisValue<T>>>;
  close(): Promise<void>;
}

export interface AnalyserOptions {
  policy: Policy;
  /** The text `policy` was compiled from: each thread compiles the same. */
  policyText: string;
  policyFile: string;
  threads: number;
  timeoutMs: number;
  /** Commands up to this many bytes of JSON are read on the API's thread. */
  inlineBytes: number;
}

export function createAnalyser({
  policy,
  policyText,
  policyFile,
  threads,
  timeoutMs,
  inlineBytes,
}: AnalyserOptions): Analyser {
  const workerData: AnalysisThreadData = { policyFile, policyText };
  // Threads start with the first large command and end after a minute idle: an API that is only
  // sent small commands keeps no thread, nor the memory of its parsers.
  const pool = new Piscina({
    filename: path.join(__dirname, 'analysis-thread.ts'),
    workerData,
    minThreads: 0,
    maxThreads: threads,
    idleTimeout: 60_000,
  });
  return {
    async analyse(task) {
      const command = task.kind === 'submit' ? task.draft.command : task.question.command;
      if (Buffer.byteLength(JSON.stringify(command) ?? '') <= inlineBytes) return analyseHere(policy, task);
      // The limit counts from when the thread begins the task: not its wait in the pool's queue
      // behind another caller's, nor a new thread's loading of the policy and the parsers.
      const { port1: begun, port2: beginning } = new MessageChannel();
      const stop = new AbortController();
      let limit: NodeJS.Timeout | undefined;
      begun.once('message', () => (limit = setTimeout(() => stop.abort(), timeoutMs)));
      try {
        const threadTask: ThreadTask<typeof task> = { task, begun: beginning };
        return await pool.run(threadTask, { signal: stop.signal, transferList: [beginning] });
      } catch (error) {
        if ((error as Error).name !== 'AbortError') throw error;
        return {
          ok: false,
          tookMs: timeoutMs,
          refusal: {
            statusCode: 422,
            code: 'command_too_costly',
            message: `the gate stopped reading and judging this command after ${timeoutMs} ms: split it into smaller ones`,
          },
        };
      } finally {
        clearTimeout(limit);
        begun.close();
      }
    },
    close: () => pool.destroy(),
  };
}
