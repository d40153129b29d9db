// Renders the Slack Block Kit a notice carries (header, section text and fields, actions,
// context) as a plain HTML page, so a browser test can show what reviewers see in Slack. It reads
// Slack's mrkdwn, which is already HTML-escaped (&amp; &lt; &gt;), for the few marks the gate uses.
interface Text {
  type: string;
  text: string;
}
interface Block {
  type: string;
  text?: Text;
  fields?: Text[];
  elements?: ({ type: string; style?: string; text?: Text } & Partial<Text>)[];
}

function mrkdwn(text: string): string {
  return text
    .replace(/```([\s\S]*?)```/g, (_match, code: string) => `<pre>${code}</pre>`)
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, (_match, url: string, label: string) => `<a href="${url}">${label}</a>`)
    .replace(/\*([^*\n]+)\*/g, '<strong>$1</strong>')
    .replace(/\n/g, '<br>');
}

const plain = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\n/g, '<br>');
const textOf = (text: Text) => (text.type === 'plain_text' ? plain(text.text) : mrkdwn(text.text));

export function renderBlockKit(body: { blocks: Block[] }): string {
  const blocks = body.blocks.map((block) => {
    switch (block.type) {
      case 'header':
        return `<h2>${textOf(block.text!)}</h2>`;
      case 'section':
        return block.fields
          ? `<div class="fields">${block.fields.map((field) => `<div>${textOf(field)}</div>`).join('')}</div>`
          : `<div class="section">${textOf(block.text!)}</div>`;
      case 'actions':
        return `<div class="actions">${block.elements!.map((button) => `<button class="${button.style ?? ''}">${textOf(button.text!)}</button>`).join('')}</div>`;
      case 'context':
        return `<div class="context">${block.elements!.map((element) => textOf(element as Text)).join(' ')}</div>`;
      default:
        return '';
    }
  });
  return `<!doctype html><html><head><meta charset="utf-8"><style>
body{font-family:Lato,system-ui,sans-serif;background:#fff;margin:0;padding:24px;color:#1d1c1d;width:640px}
.message{display:flex;gap:12px}.avatar{width:36px;height:36px;border-radius:6px;background:#4a154b;color:#fff;display:grid;place-items:center;font-weight:700}
.app{font-weight:900}.app small{font-weight:400;color:#616061;margin-left:6px}
h2{font-size:18px;margin:6px 0}.fields{display:grid;grid-template-columns:1fr 1fr;gap:8px 16px;margin:8px 0}
.section{margin:8px 0}pre{background:#f8f8f8;border:1px solid #ddd;border-radius:4px;padding:8px;white-space:pre-wrap;font-size:13px}
.actions{display:flex;gap:8px;margin:8px 0}button{font-weight:700;padding:6px 14px;border-radius:4px;border:1px solid #bbb;background:#fff}
button.primary{background:#007a5a;color:#fff;border-color:#007a5a}button.danger{background:#e01e5a;color:#fff;border-color:#e01e5a}
.context{color:#616061;font-size:12px}a{color:#1264a3}
</style></head><body><div class="message"><div class="avatar">AG</div><div><div class="app">approval-gate<small>APP</small></div>
${blocks.join('\n')}</div></div></body></html>`;
}
