// What the Temporal Web UI shows for a request before anyone opens its history: the workflow's
// static summary (one line in the workflow list) and details (markdown on its page). Both are
// payloads like any other, so PAYLOAD_KEYS encrypts them and the UI decodes them with the codec.
import type { PrivilegedRequest } from '../domain/request';
import { describeCommand } from '../connectors/registry';
import { hasHiddenCharacters, showHiddenCharacters } from '../domain/text';

const SUMMARY_COMMAND_CHARS = 120;

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
/**
 * Agent-written text shows as written: no link, emphasis or heading of the agent's making, and no
 * character that prints as nothing or reorders text (domain/text.ts). ASCII punctuation is escaped
 * (CommonMark allows it), which also breaks the URLs and addresses the UI would otherwise turn into
 * links; all but `/`, which the UI's renderer shows with its backslash.
 */
const literal = (text: string) =>
  showHiddenCharacters(oneLine(text)).replace(/[!-.:-@[-`{-~]/g, (character) => `\\${character}`);
const cut = (text: string, length: number) => (text.length <= length ? text : `${text.slice(0, length)}…`);

/**
 * The details leave the command out: the UI's markdown code blocks clip underscores (`a_b` reads
 * as `a b`), and a reviewer must not approve a misread command. It is the workflow's input, shown
 * as JSON on the History tab, and the summary's first line.
 */
export function workflowSummary(request: PrivilegedRequest): { staticSummary: string; staticDetails: string } {
  const command = describeCommand(request);
  return {
    staticSummary: `${request.agent} on ${request.target}: ${literal(cut(oneLine(command), SUMMARY_COMMAND_CHARS))}`,
    staticDetails: [
      `**Agent:** ${request.agent}  `,
      `**Target:** ${request.target} (${request.connector})  `,
      `**Reason:** ${literal(request.reason)}  `,
      '**Command:** the workflow input (History tab)',
      // The History tab shows the input as it is; the summary and the inbox show these characters.
      ...([command, request.reason].some(hasHiddenCharacters)
        ? [
            '',
            '**Warning:** this request holds characters that print as nothing or change the order text is shown in. The input on the History tab shows them as they act; the summary above and the inbox show each as its code point (⟨U+…⟩).',
          ]
        : []),
    ].join('\n'),
  };
}
