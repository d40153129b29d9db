// PostgreSQL's stored parse trees (`pg_node_tree`: a view's query in `pg_rewrite.ev_action`), read
// as the server's own reader (src/backend/nodes/read.c) reads them. The text is nodes
// (`{TARGETENTRY :resno 1 :resname tax ...}`), lists (`( ... )`, `(i 1 2)`, `(b 3)`) and tokens, a
// backslash keeping the next character literal. Fields are read in order, a label then its value,
// so a value that looks like a label (a column named `:resorigtbl 5`, written `:resorigtbl\ 5`) is
// still a value.

/** A token (unescaped; `<>` is null), a node, or a list of values. */
export type TreeValue = string | null | TreeNode | TreeValue[];

export interface TreeNode {
  type: string;
  fields: Map<string, TreeValue>;
}

interface Token {
  text: string;
  /** A delimiter or a field label as written, not a value that merely looks like one. */
  bare: boolean;
}

const DELIMITERS = new Set(['(', ')', '{', '}']);
const WHITESPACE = new Set([' ', '\n', '\t', '\r']);

function tokens(text: string): Token[] {
  const found: Token[] = [];
  let at = 0;
  while (at < text.length) {
    const char = text[at]!;
    if (WHITESPACE.has(char)) {
      at++;
      continue;
    }
    if (DELIMITERS.has(char)) {
      found.push({ text: char, bare: true });
      at++;
      continue;
    }
    let value = '';
    let escaped = false;
    while (at < text.length && !WHITESPACE.has(text[at]!) && !DELIMITERS.has(text[at]!)) {
      if (text[at] === '\\' && at + 1 < text.length) {
        escaped ||= value === '';
        value += text[at + 1];
        at += 2;
      } else value += text[at++];
    }
    found.push({ text: value, bare: !escaped });
  }
  return found;
}

const isLabel = (token: Token | undefined) => token !== undefined && token.bare && token.text.startsWith(':');
const isClose = (token: Token | undefined, close: string) => token !== undefined && token.bare && token.text === close;

/** Reads a whole `pg_node_tree` text; throws on text that is not one. */
export function readNodeTree(text: string): TreeValue {
  const all = tokens(text);
  let at = 0;
  const next = (): Token => {
    const token = all[at++];
    if (!token) throw new Error('the parse tree ends early');
    return token;
  };

  function value(): TreeValue {
    const token = next();
    if (token.bare && token.text === '{') return node();
    if (token.bare && token.text === '(') {
      const items: TreeValue[] = [];
      while (!isClose(all[at], ')')) items.push(value());
      at++;
      return items;
    }
    if (token.bare && (token.text === ')' || token.text === '}')) throw new Error(`unexpected ${token.text}`);
    return token.bare && token.text === '<>' ? null : token.text;
  }

  function node(): TreeNode {
    const read: TreeNode = { type: next().text, fields: new Map() };
    while (!isClose(all[at], '}')) {
      const label = next();
      if (!isLabel(label)) throw new Error(`a field label was expected in ${read.type}, not ${label.text}`);
      const first = value();
      // A datum is its length and then its bytes (`:constvalue 4 [ 1 0 0 0 ]`): more than one value.
      const rest: TreeValue[] = [];
      while (at < all.length && !isLabel(all[at]) && !isClose(all[at], '}')) rest.push(value());
      read.fields.set(label.text.slice(1), rest.length > 0 ? [first, ...rest] : first);
    }
    at++;
    return read;
  }

  const tree = value();
  if (at !== all.length) throw new Error('text follows the parse tree');
  return tree;
}

/** A node's field, when the value is a node of that type. */
export function isNode(value: TreeValue | undefined, type: string): value is TreeNode {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && value.type === type;
}
