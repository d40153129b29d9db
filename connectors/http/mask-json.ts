// Masking of an HTTP response body inside the executor. `mask.fields` names JSON fields: a bare
// name (`ssn`) masks that key at any depth, a path (`customer.ssn`, `cards[].number`) masks from
// the root, `[]` stepping into each element of an array. `mask.patterns` are masked inside every
// string (and every number, written out). A body that is not JSON cannot be masked by field: when
// fields are configured it is masked whole. The target's own credential is cut out of every string
// first: an API that echoes its request headers must not hand the token back to the agent. A body
// nested deeper than MAX_JSON_DEPTH is treated as text (ADR 033).
import { MASKED, maskText } from '../mask';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../../domain/nesting';
import type { HttpTarget } from '../../config/targets';
import type { CappedResponse } from './call-once';

type Rules = HttpTarget['mask'] & {
  /** The credential's secret parts, replaced by `[credential]` wherever they appear. */
  secrets: readonly string[];
};

function withoutSecrets(text: string, secrets: readonly string[]): string {
  return secrets.reduce((scrubbed, secret) => scrubbed.split(secret).join('[credential]'), text);
}

function compile(fields: readonly string[]): { anywhere: Set<string>; paths: string[] } {
  const anywhere = new Set<string>();
  const paths: string[] = [];
  for (const field of fields) {
    if (/[.[]/.test(field)) paths.push(field.replace(/\[\]/g, '.[]').toLowerCase());
    else anywhere.add(field.toLowerCase());
  }
  return { anywhere, paths };
}

function maskScalar(value: unknown, { patterns, secrets }: Rules): unknown {
  if (typeof value === 'string') return maskText(withoutSecrets(value, secrets), patterns);
  if (typeof value === 'number') {
    const written = String(value);
    return maskText(written, patterns) === written ? value : maskText(written, patterns);
  }
  return value;
}

/** A JSON value with the configured fields masked whole and the patterns masked inside the rest. */
export function maskJson(value: unknown, rules: Rules): unknown {
  const { anywhere, paths } = compile(rules.fields);
  const walk = (node: unknown, at: string): unknown => {
    if (Array.isArray(node)) return node.map((item) => walk(item, at === '' ? '[]' : `${at}.[]`));
    if (node === null || typeof node !== 'object') return maskScalar(node, rules);
    return Object.fromEntries(
      Object.entries(node as Record<string, unknown>).map(([rawKey, child]) => {
        const key = withoutSecrets(rawKey, rules.secrets);
        const here = at === '' ? key.toLowerCase() : `${at}.${key.toLowerCase()}`;
        const masked = anywhere.has(key.toLowerCase()) || paths.includes(here);
        return [key, masked && child !== null ? MASKED : walk(child, here)];
      }),
    );
  };
  return walk(value, '');
}

/** A body that is not JSON: masked whole when fields are configured (they cannot be found in it). */
export function maskTextBody(text: string, rules: Rules): string {
  return rules.fields.length > 0 ? MASKED : maskText(withoutSecrets(text, rules.secrets), rules.patterns);
}

/** The body parsed, when it is JSON no deeper than MAX_JSON_DEPTH (ADR 033: masking walks it recursively). */
function shallowJson(text: string): { value: unknown } | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return nestedDeeperThan(value, MAX_JSON_DEPTH) ? undefined : { value };
  } catch {
    return undefined;
  }
}

/**
 * Whether the body's bytes are text as the masker reads it: not compressed or otherwise encoded
 * (the executor asks for none), and in an ASCII-compatible charset, so a value the patterns look
 * for is written out in it. A body that is not is masked whole: `ada@example.com` in UTF-16 or in a
 * gzip stream would pass every pattern and be read back by the agent.
 */
function readableAsText({ contentType, contentEncoding }: Pick<CappedResponse, 'contentType' | 'contentEncoding'>) {
  const encoded = contentEncoding.trim() !== '' && contentEncoding.trim().toLowerCase() !== 'identity';
  return !encoded && !/;\s*charset\s*=\s*"?(utf-?(16|32)|ucs-?(2|4))/i.test(contentType);
}

/**
 * A response body as the executor returns it: parsed and masked by field when it is whole JSON
 * within MAX_JSON_DEPTH, else masked as text (whole, when fields are configured, or when it is not
 * text the masker can read).
 */
export function maskedBody(
  response: Pick<CappedResponse, 'bytes' | 'contentType' | 'contentEncoding' | 'truncated'>,
  rules: Rules,
): unknown {
  const { bytes, contentType, truncated } = response;
  if (!readableAsText(response)) return MASKED;
  const text = bytes.toString('utf8');
  const json = truncated || !/^application\/([a-z.+-]*\+)?json/i.test(contentType) ? undefined : shallowJson(text);
  return json ? maskJson(json.value, rules) : maskTextBody(text, rules);
}
