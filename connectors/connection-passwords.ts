// Passwords written into connection strings, masked in every answer on every target (ADR 071). A
// database keeps the passwords of the servers it reaches in its catalogue's credential columns,
// masked by name (ADR 062); teams write the same passwords into functions that connect with dblink,
// into views, into tables of integrations and into configuration files, as connection strings.
// Their forms are few and fixed, so each is found by its form in one pass over the text:
// - a key/value string's password: libpq's `password=...` (a value in single quotes may hold
//   spaces), ODBC's and ADO.NET's `Password=...;` or `Pwd=...;`, JDBC's `?password=...&`, an
//   environment file's `DB_PASSWORD=...`;
// - a URI's userinfo: `postgresql://user:password@host`, up to the authority's last `@`, as URL
//   parsers read it.

export const MASKED_PASSWORD = '[masked:password]';

/** A key that names a password, in any case; `=` must follow it (spaces aside). */
const PASSWORD_KEY = /passw(?:or)?d|pwd/gi;

/** Characters that end an unquoted key/value password: whitespace, separators, quotes. */
const VALUE_END = new Set([' ', '\t', '\n', '\r', ';', '&', "'", '"', '`', '<', '>']);

/** Characters that end a URI's authority. */
const AUTHORITY_END = new Set(['/', '?', '#', ' ', '\t', '\n', '\r', "'", '"', '`', '<', '>', '\\']);

const skipBlanks = (text: string, from: number) => {
  let index = from;
  while (text[index] === ' ' || text[index] === '\t') index++;
  return index;
};

/** Where a key/value password starting at `start` ends (exclusive): quoted, braced or bare. */
function valueEnd(text: string, start: number): number {
  // Quoted inside a SQL literal, as a function's source keeps it: `password=''two words''`.
  if (text.startsWith("''", start)) {
    const close = text.indexOf("''", start + 2);
    return close === -1 ? text.length : close + 2;
  }
  const first = text[start];
  if (first === "'" || first === '"') {
    // libpq: a backslash escapes the next character.
    let index = start + 1;
    while (index < text.length && text[index] !== first) index += text[index] === '\\' ? 2 : 1;
    return Math.min(index + 1, text.length);
  }
  if (first === '{') {
    // ODBC: a value in braces may hold `;`.
    const close = text.indexOf('}', start);
    return close === -1 ? text.length : close + 1;
  }
  let index = start;
  while (index < text.length && !VALUE_END.has(text[index]!)) index++;
  return index;
}

function maskKeyValuePasswords(text: string): string {
  let masked = '';
  let copiedTo = 0;
  PASSWORD_KEY.lastIndex = 0;
  for (let key = PASSWORD_KEY.exec(text); key !== null; key = PASSWORD_KEY.exec(text)) {
    const equals = skipBlanks(text, key.index + key[0].length);
    if (text[equals] !== '=') continue;
    const start = skipBlanks(text, equals + 1);
    const end = valueEnd(text, start);
    if (end === start) continue;
    masked += text.slice(copiedTo, start) + MASKED_PASSWORD;
    copiedTo = end;
    PASSWORD_KEY.lastIndex = end;
  }
  return masked + text.slice(copiedTo);
}

function maskUriPasswords(text: string): string {
  let masked = '';
  let copiedTo = 0;
  for (let scheme = text.indexOf('://'); scheme !== -1;) {
    const authority = scheme + 3;
    let end = authority;
    let firstColon = -1;
    let lastAt = -1;
    for (; end < text.length && !AUTHORITY_END.has(text[end]!); end++) {
      if (text[end] === ':' && firstColon === -1) firstColon = end;
      if (text[end] === '@') lastAt = end;
    }
    if (lastAt !== -1 && firstColon !== -1 && firstColon < lastAt) {
      masked += text.slice(copiedTo, firstColon + 1) + MASKED_PASSWORD;
      copiedTo = lastAt;
    }
    scheme = text.indexOf('://', Math.max(end, authority));
  }
  return masked + text.slice(copiedTo);
}

/** `text` with every connection-string password in it replaced by MASKED_PASSWORD. */
export function maskConnectionPasswords(text: string): string {
  return maskUriPasswords(maskKeyValuePasswords(text));
}
