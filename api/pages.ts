// The few HTML pages a reviewer sees after clicking a one-click link. Every value is escaped, with
// the characters that print as nothing or reorder text shown (domain/text.ts).
import escapeHtml from 'escape-html';
import type { RequestRecord } from '../domain/request-record';
import type { LinkClaims } from '../notifications/links';
import { describeCommand } from '../connectors/registry';
import { showHiddenCharacters } from '../domain/text';

const e = (text: string) => escapeHtml(showHiddenCharacters(text));

// The token is in the URL: no referrer may carry it away, no cache may keep it, no frame may wrap it.
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
};

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
pre{background:#f4f4f4;padding:.75rem;overflow:auto;white-space:pre-wrap}dt{font-weight:600}dd{margin:0 0 .5rem}
button{font-size:1rem;padding:.5rem 1.25rem;cursor:pointer}</style></head>
<body><h1>${e(title)}</h1>${body}</body></html>`;
}

export function messagePage(title: string, message: string): string {
  return page(title, `<p>${e(message)}</p>`);
}

/** Shown on GET: what the reviewer is about to decide, and the one button that decides it. */
export function confirmationPage(claims: LinkClaims, request: RequestRecord): string {
  const verb = claims.decision === 'approve' ? 'Approve' : 'Reject';
  const field = (label: string, value: string) => `<dt>${e(label)}</dt><dd>${e(value)}</dd>`;
  const approval = request.approval;
  return page(
    `${verb} request ${request.id}?`,
    `<dl>
${field('Agent', request.agent)}
${field('Target', `${request.target} (${request.connector})`)}
${field('Reason', request.reason)}
${field('Policy rule', request.policy?.rule ?? 'unknown')}
${field('Risk', request.policy?.risk ?? 'not set')}
${approval ? field('Stage', `${approval.stage} of ${approval.stageCount}, deadline ${approval.deadline}`) : ''}
</dl>
<p><strong>Command</strong></p><pre>${e(describeCommand(request))}</pre>
<form method="post"><button type="submit">${verb} as ${e(claims.reviewer)}</button></form>
<p>Nothing is decided until you press the button.</p>`,
  );
}
