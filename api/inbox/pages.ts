// The reviewer inbox's pages, rendered on the server. Every value is escaped (the SQL goes
// through highlight.js, which escapes what it does not mark up); scripts and styles are files of
// our own, so the pages' CSP allows no inline code at all.
import escapeHtml from 'escape-html';
import { formatDurationMs } from '../../domain/duration';
import { describeImpact } from '../../domain/impact';
import { describeResult, isRowsResult, isSshResult } from '../../domain/request';
import hljs from 'highlight.js/lib/core';
import sql from 'highlight.js/lib/languages/sql';
import type { RequestView, TimelineEntry } from '../schemas';
import type { PolicyExplanation } from '../schemas';
import { describeCommand, describeCommandFor, grantCoverage } from '../../connectors/registry';
import { hasHiddenCharacters, replaceHiddenCharacters } from '../../domain/text';

hljs.registerLanguage('sql', sql);

export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** A page with the session player: its terminal emulator is WebAssembly, which the CSP must let compile. */
const PLAYER_PAGE_CSP = PAGE_CSP.replace("script-src 'self'", "script-src 'self' 'wasm-unsafe-eval'");

/**
 * The CSP a request's page is sent with: the player's on an SSH request's page, which has or may
 * come to have a recording (a page that turns `succeeded` live shows the player without a reload).
 */
export const requestPageCsp = (view: RequestView) => (mayPlay(view) ? PLAYER_PAGE_CSP : PAGE_CSP);

const mayPlay = (view: RequestView) => view.connector === 'ssh';

const hasRecording = (view: RequestView) => view.recording !== null;

const PLAYER_HEAD =
  '<link rel="stylesheet" href="/inbox/assets/asciinema-player.css"><script src="/inbox/assets/asciinema-player.js" defer></script>';

/**
 * Each character that prints as nothing or reorders text (domain/text.ts), in HTML already escaped:
 * its code point, marked. The markup has no quotes, so even inside an attribute it stays text.
 */
const markHidden = (html: string) =>
  replaceHiddenCharacters(html, (codePoint) => `<span class=hidden-char>${codePoint}</span>`);
/** Text into HTML: escaped, hidden characters marked. */
const e = (value: unknown) => markHidden(escapeHtml(String(value ?? '')));

export interface PageUser {
  reviewer: string;
  csrf: string;
}

export function layout(title: string, body: string, user?: PageUser, head = ''): string {
  const signOut = user
    ? `<form method="post" action="/inbox/sign-out" class="inline"><input type="hidden" name="csrf" value="${e(user.csrf)}">
<span>Signed in as <strong>${e(user.reviewer)}</strong></span> <button type="submit">Sign out</button></form>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)} · approval-gate</title>
<link rel="stylesheet" href="/inbox/assets/inbox.css"><link rel="stylesheet" href="/inbox/assets/sql.css">${head}
<script src="/inbox/assets/inbox.js" defer></script></head>
<body><header><a href="/inbox" class="brand">approval-gate</a>${signOut}</header>
${body}</body></html>`;
}

export function signInPage({ sso, message }: { sso: boolean; message?: string }): string {
  return layout(
    'Sign in',
    `<main><h1>Sign in to review</h1>
${message ? `<p class="refusal" role="alert">${e(message)}</p>` : ''}
${sso ? '<p><a class="button" href="/inbox/oidc/start">Sign in with single sign-on</a></p><p class="hint">or with a reviewer token:</p>' : ''}
<form method="post" action="/inbox/sign-in">
<label for="token">Your reviewer token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>
<p class="hint">The token is exchanged for a session cookie; it is not kept in the browser.</p></main>`,
  );
}

export function messagePage(title: string, message: string, user?: PageUser): string {
  return layout(
    title,
    `<main><h1>${e(title)}</h1><p>${e(message)}</p><p><a href="/inbox">Back to the inbox</a></p></main>`,
    user,
  );
}

const STATUS_CLASS: Partial<Record<RequestView['status'], string>> = {
  pending_approval: 'waiting',
  succeeded: 'good',
  approved: 'good',
  executing: 'good',
  denied: 'bad',
  rejected: 'bad',
  failed: 'bad',
  expired: 'bad',
  outcome_unknown: 'bad',
};

const statusBadge = (status: RequestView['status']) =>
  `<span class="status ${STATUS_CLASS[status] ?? ''}" data-status="${e(status)}">${e(status.replace('_', ' '))}</span>`;

const cut = (text: string, length: number) => (text.length <= length ? text : `${text.slice(0, length)}…`);
const deadline = (iso: string) => `<time datetime="${e(iso)}" data-countdown>${e(iso)}</time>`;

function row(view: RequestView): string {
  return `<tr><td><a href="/inbox/requests/${e(view.id)}">${e(view.id)}</a></td><td>${statusBadge(view.status)}</td>
<td>${e(view.agent)}</td><td>${e(view.target)}</td><td>${e(view.policy?.risk ?? '')}</td>
<td><code>${e(cut(describeCommand(view), 80))}</code></td>
<td>${view.status === 'pending_approval' && view.approval ? deadline(view.approval.deadline) : e(view.updatedAt)}</td></tr>`;
}

function table(caption: string, views: RequestView[], empty: string): string {
  if (views.length === 0)
    return `<section><h2>${e(caption)} <span class="count">0</span></h2><p class="hint">${e(empty)}</p></section>`;
  return `<section><h2>${e(caption)} <span class="count">${views.length}</span></h2>
<table><thead><tr><th scope="col">Request</th><th scope="col">Status</th><th scope="col">Agent</th><th scope="col">Target</th>
<th scope="col">Risk</th><th scope="col">Command</th><th scope="col">Deadline / updated</th></tr></thead>
<tbody>${views.map(row).join('')}</tbody></table></section>`;
}

export interface InboxSections {
  yours: RequestView[];
  others: RequestView[];
  recent: RequestView[];
  filters: { target?: string; agent?: string; risk?: string; status?: string };
}

export function inboxPage(sections: InboxSections, user: PageUser): string {
  const { filters } = sections;
  const field = (name: keyof InboxSections['filters'], label: string) =>
    `<label>${e(label)} <input name="${name}" value="${e(filters[name] ?? '')}" size="12"></label>`;
  return layout(
    'Inbox',
    `<main data-live><h1>Requests</h1>
<form method="get" action="/inbox" class="filters" aria-label="Filter requests">
${field('target', 'Target')} ${field('agent', 'Agent')} ${field('risk', 'Risk')} ${field('status', 'Status')}
<button type="submit">Filter</button></form>
${table('Yours to decide', sections.yours, 'Nothing waits for you.')}
${table('Waiting on others', sections.others, 'Nothing else is waiting.')}
${table('Recent decisions', sections.recent, 'No request has ended yet.')}</main>`,
    user,
  );
}

export interface RequestPageModel {
  view: RequestView;
  timeline: TimelineEntry[] | undefined;
  explanation: PolicyExplanation | undefined;
  /** Why this reviewer cannot decide now, or undefined when they can. */
  cannotDecide: string | undefined;
  flash?: { kind: 'done' | 'refusal'; text: string };
}

/** Where the rule allows it, approving may also cover commands of the same shape for a while. */
function grantFields(view: RequestView): string {
  const caps = view.policy?.grant;
  if (!caps) return '';
  const suggested = formatDurationMs(Math.min(caps.maxForMs, 30 * 60_000));
  return `<fieldset class="grant"><legend>Scoped grant (rule ${e(view.policy!.rule)})</legend>
<label><input type="checkbox" name="grant" value="on"> Also approve ${e(view.agent)}'s commands of this shape on ${e(view.target)}</label>
<p class="hint">Of this shape: ${e(grantCoverage(view.connector))}.</p>
<label for="grant-uses">Uses (at most ${e(caps.maxUses)})</label>
<input id="grant-uses" name="grantUses" type="number" min="1" max="${e(caps.maxUses)}" value="1">
<label for="grant-for">For (at most ${e(formatDurationMs(caps.maxForMs))})</label>
<input id="grant-for" name="grantFor" value="${e(suggested)}" maxlength="16"></fieldset>
`;
}

/** A dry run's masked sample of changed rows, before and after. */
function sampleOf(sample: NonNullable<RequestView['impact']>['statements'][number]['sample']): string {
  if (!sample) return '';
  const part = (label: string, rows: Record<string, unknown>[] | undefined) =>
    rows ? `<p class="hint">${label} (first ${rows.length})</p><pre>${e(JSON.stringify(rows, null, 2))}</pre>` : '';
  return part('Before', sample.before) + part('After', sample.after);
}

/** A result's content: rows or a response body as JSON, a program's output as text. */
function resultBody(result: NonNullable<RequestView['result']>): string {
  if (isSshResult(result))
    return `<h3>Output</h3><pre class="output">${e(result.stdout)}</pre>${result.stderr ? `<h3>Errors</h3><pre class="output">${e(result.stderr)}</pre>` : ''}`;
  return `<pre>${e(JSON.stringify(isRowsResult(result) ? result.rows : result.body, null, 2))}</pre>`;
}

/** Where a command made a session recording: the player (inbox.js starts it) and the file. */
function recordingPlayer(view: RequestView): string {
  if (!hasRecording(view)) return '';
  const url = `/inbox/requests/${e(view.id)}/recording`;
  return `<h3>Session recording</h3><div class="recording" data-cast="${url}"></div>
<p class="hint"><a href="${url}" download="${e(view.id)}.cast">Download the recording</a> (asciicast v2: <code>asciinema play ${e(view.id)}.cast</code>)</p>`;
}

export function requestPage(model: RequestPageModel, user: PageUser): string {
  const { view, timeline, explanation, cannotDecide, flash } = model;
  const approval = view.approval;
  const command = describeCommandFor(view);
  const highlighted =
    command.language === 'sql'
      ? markHidden(hljs.highlight(command.text, { language: 'sql', ignoreIllegals: true }).value)
      : e(command.text);
  const hidden = [command.text, view.reason].some(hasHiddenCharacters)
    ? `<p class="refusal" role="alert" id="hidden-characters">This request holds characters that print as nothing or change the order text is shown in. Each is shown as its code point, marked like <span class=hidden-char>U+202E</span>: what you read is what it holds.</p>`
    : '';
  const dl = (pairs: [string, string][]) =>
    `<dl>${pairs.map(([label, value]) => `<dt>${e(label)}</dt><dd>${value}</dd>`).join('')}</dl>`;
  const votes =
    view.votes.length === 0
      ? '<p class="hint">No votes yet.</p>'
      : `<ul>${view.votes
          .map(
            (vote) =>
              `<li><strong>${e(vote.reviewer)}</strong> ${vote.decision === 'approve' ? 'approved' : 'rejected'} (stage ${e(vote.stage)}, ${e(vote.channel)}${vote.verified ? '' : ', unverified'}) at ${e(vote.at)}${vote.comment ? `: ${e(vote.comment)}` : ''}</li>`,
          )
          .join('')}</ul>`;
  const stage = approval
    ? dl([
        ['Stage', `${e(approval.stage)} of ${e(approval.stageCount)}`],
        [
          'Needs',
          `${e(approval.quorum)} of ${e(approval.groups.join(', '))}${approval.distinctGroups ? ' (distinct groups)' : ''}`,
        ],
        ['Who may approve', e(approval.eligibleReviewers.join(', ') || 'nobody')],
        [
          'Deadline',
          `${view.status === 'pending_approval' ? deadline(approval.deadline) : e(approval.deadline)} (then ${e(approval.onTimeout)})`,
        ],
      ])
    : '<p class="hint">No approval stage: policy decided alone.</p>';
  // Every stage the policy asks for (the open one is above), as the policy explains it today.
  const stages = explanation?.decision.stages ?? [];
  const chain =
    stages.length > 1
      ? `<h3>All stages</h3><ol class="stages">${stages
          .map(
            (next, index) =>
              `<li${approval?.stage === index + 1 ? ' aria-current="step"' : ''}>${e(next.quorum)} of ${e(next.groups.join(', '))}${next.distinctGroups ? ' (distinct groups)' : ''}, within ${e(next.timeout)}, then ${e(next.onTimeout)}; votes through ${e(next.channels.join(', '))}</li>`,
          )
          .join('')}</ol>`
      : '';
  const decide = cannotDecide
    ? `<p class="hint" id="cannot-decide">${e(cannotDecide)}</p>`
    : `<form method="post" action="/inbox/requests/${e(view.id)}/decide" class="decide">
<input type="hidden" name="csrf" value="${e(user.csrf)}">
${approval ? `<input type="hidden" name="stage" value="${e(approval.stage)}">` : ''}
<label for="comment">Comment (a rejection needs one)</label>
<textarea id="comment" name="comment" rows="3" maxlength="2000"></textarea>
${grantFields(view)}<div class="buttons"><button type="submit" name="decision" value="approve" class="approve">Approve</button>
<button type="submit" name="decision" value="reject" class="reject">Reject</button></div></form>`;
  const impact =
    view.impact && view.impact.statements.length > 0
      ? `<details><summary>Impact by statement</summary><ol class="impact">${view.impact.statements
          .map(
            (statement) =>
              `<li>${e(statement.kind)}: ${statement.rows !== null ? `${e(statement.rows)} row(s) in the dry run` : statement.estimatedRows !== null ? `about ${e(statement.estimatedRows)} row(s)` : e(statement.note ?? 'no estimate')}${statement.tables.length > 0 ? `; tables ${e(statement.tables.join(', '))}` : ''}${statement.indexes.length > 0 ? `; indexes ${e(statement.indexes.join(', '))}` : ''}${statement.seqScans.length > 0 ? `; sequential scan of ${e(statement.seqScans.map((scan) => `${scan.table} (${scan.tableRows} rows)`).join(', '))}` : ''}${sampleOf(statement.sample)}</li>`,
          )
          .join('')}</ol></details>`
      : '';
  const facts = explanation?.facts
    ? `<details><summary>Facts the policy saw</summary><pre>${e(JSON.stringify(explanation.facts, null, 2))}</pre></details>`
    : '';
  const result = view.result
    ? `<h2>Result</h2><p>${e(describeResult(view.result))}, masked by the executor</p>
${resultBody(view.result)}`
    : view.error
      ? `<h2>Error</h2><p>${e(view.error)}</p>`
      : '';
  const story = timeline
    ? `<h2>History</h2><ol class="timeline">${timeline
        .map(
          (entry) =>
            `<li><time datetime="${e(entry.at)}">${e(entry.at)}</time> ${e(entry.what)}${entry.actor ? ` · ${e(entry.actor)}` : ''}${entry.channel ? ` (${e(entry.channel)})` : ''}${entry.detail?.recording ? ` · <a href="/inbox/requests/${e(view.id)}/recording" download="${e(view.id)}.cast">session recording</a>` : ''}</li>`,
        )
        .join('')}</ol>`
    : '<p class="hint">The history is not available yet.</p>';
  return layout(
    `Request ${view.id}`,
    `<main data-live data-request="${e(view.id)}"><p><a href="/inbox">← Inbox</a></p>
<h1>${e(view.id)} ${statusBadge(view.status)}</h1>
${flash ? `<p class="${flash.kind === 'done' ? 'done' : 'refusal'}" role="${flash.kind === 'done' ? 'status' : 'alert'}">${e(flash.text)}</p>` : ''}
${hidden}<pre class="sql"><code class="hljs language-sql">${highlighted}</code></pre>
${dl([
  ['Target', `${e(view.target)} (${e(view.connector)})`],
  ['Agent', e(view.agent)],
  ['Reason', e(view.reason)],
  ['Rule', `${e(view.policy?.rule ?? 'not decided yet')}${view.policy?.risk ? ` · risk ${e(view.policy.risk)}` : ''}`],
  ['Why', e(view.policy?.explanation ?? '')],
  ...(view.impact ? [['Impact', e(describeImpact(view.impact))] as [string, string]] : []),
  ...(view.grantId ? [['Approved by', `scoped grant ${e(view.grantId)}`] as [string, string]] : []),
])}
${impact}
${facts}
<h2>Approval</h2>${stage}${chain}<h3>Votes</h3>${votes}
${decide}
${result}${recordingPlayer(view)}
${story}</main>`,
    user,
    mayPlay(view) ? PLAYER_HEAD : '',
  );
}
