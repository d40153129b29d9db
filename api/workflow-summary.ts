// What the Temporal Web UI shows for a request before anyone opens its history: the workflow's
// static summary (one line in the workflow list) and details (markdown on its page). Both are
// payloads like any other, so PAYLOAD_KEYS encrypts them and the UI decodes them with the codec.
import type { PrivilegedRequest } from '../domain/request';
import { describeCommand } from '../connectors/registry';

const SUMMARY_COMMAND_CHARS = 120;

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
/**
 * Agent-written text shows as written: no link, emphasis or heading of the agent's making. ASCII
 * punctuation is escaped (CommonMark allows it), which also breaks the URLs and addresses the UI
 * would otherwise turn into links; all but `/`, which the UI's renderer shows with its backslash.
 */
const literal = (text: string) => oneLine(text).replace(/[!-.:-@[-`{-~]/g, (character) => `\\${character}`);
const cut = (text: string, length: number) => (text.length <= length ? text : `${text.slice(0, length)}…`);

/**
 * The details leave the command out: the UI's markdown code blocks clip underscores (`a_b` reads
 * as `a b`), and a reviewer must not approve a misread command. It is the workflow's input, shown
 * as JSON on the History tab, and the summary's first line.
 */
export function workflowSummary(request: PrivilegedRequest): { staticSummary: string; staticDetails: string } {
  return {
    staticSummary: `${request.agent} on ${request.target}: ${literal(cut(oneLine(describeCommand(request)), SUMMARY_COMMAND_CHARS))}`,
    staticDetails: [
      `**Agent:** ${request.agent}  `,
      `**Target:** ${request.target} (${request.connector})  `,
      `**Reason:** ${literal(request.reason)}  `,
      '**Command:** the workflow input (History tab)',
    ].join('\n'),
  };
}
