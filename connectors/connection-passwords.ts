// Passwords written into connection strings and settings, masked in every answer on every target
// (ADR 071). A database keeps the passwords of the servers it reaches in its catalogue's credential
// columns, masked by name (ADR 062); teams write the same passwords into functions that connect
// with dblink, into views, into tables of integrations and configuration, and the database's own
// logs keep the statements that set them. Their forms are few and fixed, so each is found by its
// form in one pass over the text:
// - a key/value string's password: libpq's `password=...` (a value in single quotes may hold
//   spaces), ODBC's and ADO.NET's `Password=...;` or `Pwd=...;`, JDBC's `?password=...&`, an
//   environment file's `DB_PASSWORD=...`;
// - a setting's: JSON's `"password": "..."`, YAML's `db_password: ...` (to the end of the line),
//   and in a parsed document the value of a field so named (namesPassword);
// - a statement's: `CREATE ROLE ... PASSWORD '...'`, `ALTER USER ... IDENTIFIED BY '...'`;
// - a URI's userinfo: `postgresql://user:password@host`, up to the authority's last `@`, as URL
//   parsers read it.

export const MASKED_PASSWORD = '[masked:password]';

/**
 * A key that names a password, in any case, or MySQL's `IDENTIFIED [WITH plugin] BY`. A value
 * follows it after `=`, after `:` (a setting), or after blanks as an SQL string (a statement).
 */
const PASSWORD_KEY = /passw(?:or)?d|pwd|identified\s+(?:with\s+\w+\s+)?by/gi;

/** Characters that end an unquoted key/value password: whitespace, separators, quotes. */
const VALUE_END = new Set([' ', '\t', '\n', '\r', ';', '&', "'", '"', '`', '<', '>']);

/**
 * Characters that end an unquoted setting's password: the line. YAML's may hold spaces and commas;
 * where a line holds more after it (`{"password": 12345, "user": "x"}`), more is masked, not less.
 */
const SETTING_VALUE_END = new Set(['\n', '\r']);

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

/** Where an SQL string starting at `start` (a quote) ends (exclusive): `''` is a quote inside it. */
function sqlStringEnd(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length && (text[index] !== "'" || text[index + 1] === "'")) index += text[index] === "'" ? 2 : 1;
  return Math.min(index + 1, text.length);
}

/** The password value after a key ending at `keyEnd`, as [start, end), or undefined when none follows. */
function valueAfter(text: string, keyEnd: number): [number, number] | undefined {
  // A quoted key: `"password": ...`, `'password' => ...`.
  const afterKey = text[keyEnd] === '"' || text[keyEnd] === "'" ? keyEnd + 1 : keyEnd;
  const separator = skipBlanks(text, afterKey);
  if (text[separator] === '=' || text[separator] === ':') {
    // `:=` and `=>` assign as `=` does.
    const next = text[separator + 1] === '=' || text[separator + 1] === '>' ? separator + 2 : separator + 1;
    const start = skipBlanks(text, next);
    const quoted = text[start] === "'" || text[start] === '"';
    if (text[separator] === '=' || quoted) return [start, valueEnd(text, start)];
    let end = start;
    while (end < text.length && !SETTING_VALUE_END.has(text[end]!)) end++;
    while (end > start && (text[end - 1] === ' ' || text[end - 1] === '\t')) end--;
    return [start, end];
  }
  // A statement's: `PASSWORD 'x'`, `IDENTIFIED BY 'x'`.
  if (separator > afterKey && afterKey === keyEnd && text[separator] === "'")
    return [separator, sqlStringEnd(text, separator)];
  return undefined;
}

function maskKeyValuePasswords(text: string): string {
  let masked = '';
  let copiedTo = 0;
  PASSWORD_KEY.lastIndex = 0;
  for (let key = PASSWORD_KEY.exec(text); key !== null; key = PASSWORD_KEY.exec(text)) {
    const value = valueAfter(text, key.index + key[0].length);
    if (!value) continue;
    const [start, end] = value;
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

/**
 * Whether a field of a parsed document (a JSON column, which the drivers hand over as an object)
 * names a password: `password`, `db_password`, `dbPwd`. Its value has no key left in it to be
 * found by form, so the field's name decides.
 */
export const namesPassword = (field: string): boolean => /passw(?:or)?d|pwd/i.test(field);

/** `text` with every connection-string password in it replaced by MASKED_PASSWORD. */
export function maskConnectionPasswords(text: string): string {
  return maskUriPasswords(maskKeyValuePasswords(text));
}
