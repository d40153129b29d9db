// Masking inside the executor, before a result leaves it (every SQL connector). A configured column
// is masked by where an output value came from (the table and column the database names for each
// result field: PostgreSQL's table OID, MySQL's orgTable and orgName), not by the output's name,
// so an alias does not unmask it. An output computed from an expression has no source column: it
// is masked whole when the batch refers to a masked column, to a whole row of a table that may
// hold one, or calls something that may read data the parser cannot follow (SQL given as text, a
// function that is not built in).
import type { MaskRules } from '../config/target-schemas';
import { MASKED_PASSWORD, maskConnectionPasswords, namesPassword } from './connection-passwords';
import { replaceEmailAddresses } from './email-addresses';

// 13-19 digits, optionally grouped by spaces or dashes; confirmed with the Luhn check below.
const CARD_CANDIDATE = /\b\d(?:[ -]?\d){12,18}\b/g;

export const MASKED = '[masked]';

/** A configured masked column: `ssn` (any table), `customers.ssn` or `billing.customers.ssn`. */
export interface MaskedColumn {
  /** `customers` or `billing.customers`; undefined for a bare column name. */
  table?: string;
  column: string;
}

/** Where a result field's values come from, from the target's catalogue. */
export interface ColumnSource {
  schema: string;
  table: string;
  column: string;
}

function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * `text` with the target's patterns masked in it, and on every target the passwords of connection
 * strings (ADR 071).
 */
export function maskText(text: string, patterns: MaskRules['patterns']): string {
  let masked = maskConnectionPasswords(text);
  if (patterns.includes('email')) masked = replaceEmailAddresses(masked, '[masked:email]');
  if (patterns.includes('card')) {
    masked = masked.replace(CARD_CANDIDATE, (candidate) =>
      passesLuhn(candidate.replace(/\D/g, '')) ? '[masked:card]' : candidate,
    );
  }
  return masked;
}

/** A value made JSON-safe, with the configured patterns masked inside text (JSON included). */
export function maskValue(value: unknown, patterns: MaskRules['patterns']): unknown {
  if (typeof value === 'string') return maskText(value, patterns);
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map((item) => maskValue(item, patterns));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        // A parsed JSON column's password field: its value alone shows no form to find (ADR 071).
        namesPassword(key) && item !== null && typeof item !== 'boolean' ? MASKED_PASSWORD : maskValue(item, patterns),
      ]),
    );
  }
  return value;
}

/** `mask.columns` as configured, lower-case (names are compared case-insensitively). */
export function parseMaskedColumns(columns: readonly string[]): MaskedColumn[] {
  return columns.map((entry) => {
    const parts = entry.toLowerCase().split('.');
    const column = parts.pop()!;
    return parts.length > 0 ? { table: parts.join('.'), column } : { column };
  });
}

/** `customers` names `public.customers` too; `billing.customers` names only that one. */
function sameTable(configured: string, schema: string | undefined, table: string): boolean {
  const parts = configured.split('.');
  const name = parts.pop()!;
  return (
    name === table.toLowerCase() &&
    (parts.length === 0 || schema === undefined || parts.join('.') === schema.toLowerCase())
  );
}

export function isMaskedSource(source: ColumnSource, masked: readonly MaskedColumn[]): boolean {
  const column = source.column.toLowerCase();
  return masked.some(
    (entry) =>
      entry.column === column && (entry.table === undefined || sameTable(entry.table, source.schema, source.table)),
  );
}

/**
 * Whether a batch may carry masked values into computed output: it refers to a masked column
 * (by any qualification, or with its table unknown) or to a whole row of a table that may hold one.
 * `references` is sql.columns (`table.column`, `schema.table.column`, `column`, `table.*`, `*`).
 */
export function refersToMaskedData(references: readonly string[], masked: readonly MaskedColumn[]): boolean {
  if (masked.length === 0) return false;
  return references.some((reference) => {
    const parts = reference.toLowerCase().split('.');
    const column = parts.pop()!;
    const table = parts.pop();
    const schema = parts.pop();
    if (column === '*')
      return (
        table === undefined ||
        masked.some((entry) => entry.table === undefined || sameTable(entry.table, schema, table))
      );
    return masked.some(
      (entry) =>
        entry.column === column &&
        (entry.table === undefined || table === undefined || sameTable(entry.table, schema, table)),
    );
  });
}

/**
 * Whether a batch, as the gate read it, may carry masked values into computed output and errors:
 * it refers to masked data, calls what the parser cannot follow (on a target that masks columns),
 * or reads what is masked on every target. A view's definition is judged the same way (ADR 067).
 */
export function analysisTouchesMasked(
  analysis: { facts: { columns: readonly string[] }; readsOpaquely: boolean; readsAlwaysMasked: boolean },
  masked: readonly MaskedColumn[],
): boolean {
  return (
    refersToMaskedData(analysis.facts.columns, masked) ||
    (masked.length > 0 && analysis.readsOpaquely) ||
    analysis.readsAlwaysMasked
  );
}

/** Removes a SQL target's connection string and password from a message before it leaves the executor. */
export function scrubCredential(message: string, target: { url: string; mask: Pick<MaskRules, 'patterns'> }): string {
  let scrubbed = message.split(target.url).join('[target-url]');
  try {
    const password = decodeURIComponent(new URL(target.url).password);
    if (password) scrubbed = scrubbed.split(password).join('[credential]');
  } catch {
    // not a URL we can take apart: the whole-URL scrub above still applies
  }
  return maskText(scrubbed, target.mask.patterns);
}
