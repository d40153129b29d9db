import type { MaskRules } from '../../settings/targets';

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
// 13-19 digits, optionally grouped by spaces or dashes; confirmed with the Luhn check below.
const CARD_CANDIDATE = /\b\d(?:[ -]?\d){12,18}\b/g;

export const MASKED = '[masked]';

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

export function maskText(text: string, patterns: MaskRules['patterns']): string {
  let masked = text;
  if (patterns.includes('email')) masked = masked.replace(EMAIL, '[masked:email]');
  if (patterns.includes('card')) {
    masked = masked.replace(CARD_CANDIDATE, (candidate) => (passesLuhn(candidate.replace(/\D/g, '')) ? '[masked:card]' : candidate));
  }
  return masked;
}

function maskValue(value: unknown, patterns: MaskRules['patterns']): unknown {
  if (typeof value === 'string') return maskText(value, patterns);
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map((item) => maskValue(item, patterns));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskValue(item, patterns)]));
  }
  return value;
}

/** Masks configured columns whole and pattern matches inside every other value (JSON included). */
export function maskRow(row: Record<string, unknown>, rules: MaskRules): Record<string, unknown> {
  const columns = new Set(rules.columns.map((column) => column.toLowerCase()));
  return Object.fromEntries(
    Object.entries(row).map(([column, value]) => [column, columns.has(column.toLowerCase()) && value !== null ? MASKED : maskValue(value, rules.patterns)]),
  );
}
