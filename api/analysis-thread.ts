// An analysis thread (api/analysis-pool.ts): the policy compiled from the same text as the API's,
// and the connectors' parsers loaded, once per thread; then one task at a time.
import type { MessagePort } from 'node:worker_threads';
import { workerData } from 'piscina';
import { prepareConnectors } from '../connectors/registry';
import { compilePolicy } from '../policy/policy';
import { type Analysed, type AnalysisTask, type AnalysisValue, analyseHere } from './command-analysis';

export interface AnalysisThreadData {
  policyFile: string;
  policyText: string;
}

const { policyFile, policyText } = workerData as AnalysisThreadData;
const policy = compilePolicy(policyFile, policyText);
const prepared = prepareConnectors();

/** A task and the port on which the thread says it has begun (the time limit counts from then). */
export interface ThreadTask<T extends AnalysisTask> {
  task: T;
  begun: MessagePort;
}

export default async function analyse<T extends AnalysisTask>({
  task,
  begun,
}: ThreadTask<T>): Promise<Analysed<AnalysisValue<T>>> {
  await prepared;
  begun.postMessage(null);
  begun.close();
  return analyseHere(policy, task);
}
