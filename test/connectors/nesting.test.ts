// ADR 033: trees deeper than the gate walks are refused where they come in, and the answer for a
// command does not depend on how much stack the process judging it has left. Real parsers; the
// HTTP connector's masking on real bytes.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { MAX_SYNTAX_DEPTH } from '../../connectors/connector';
import { maskedBody } from '../../connectors/http/mask-json';
import { mysqlConnector } from '../../connectors/mysql/connector';
import { MAX_PARENTHESES, parenthesisDepth } from '../../connectors/mysql/parentheses';
import { postgresConnector } from '../../connectors/postgres/connector';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../../domain/nesting';

before(() => postgresConnector.prepare?.());

const nested = (open: string, inner: string, close: string, levels: number) =>
  `${open.repeat(levels)}${inner}${close.repeat(levels)}`;

/** Calls `call` with about `frames` frames of this thread's stack already in use. */
function withStackUsed<T>(frames: number, call: () => T): T {
  return frames === 0 ? call() : withStackUsed(frames - 1, call);
}

describe('nestedDeeperThan', () => {
  test('counts arrays and objects, not scalars', () => {
    assert.equal(nestedDeeperThan('text', 0), false);
    assert.equal(nestedDeeperThan([], 0), true);
    assert.equal(nestedDeeperThan([], 1), false);
    assert.equal(nestedDeeperThan({ a: [{ b: 1 }] }, 2), true);
    assert.equal(nestedDeeperThan({ a: [{ b: 1 }] }, 3), false);
    assert.equal(nestedDeeperThan([1, 'x', null, [2]], 2), false);
  });

  test('measures a value far deeper than any stack without recursing', () => {
    const deep: unknown = JSON.parse(nested('[', '1', ']', 200_000));
    assert.equal(nestedDeeperThan(deep, MAX_JSON_DEPTH), true);
    assert.equal(nestedDeeperThan(deep, 199_999), true);
    assert.equal(nestedDeeperThan(deep, 200_000), false);
  });
});

describe('parenthesisDepth (MySQL)', () => {
  test('counts nesting outside quoted text and comments', () => {
    assert.equal(parenthesisDepth('SELECT ((1)), (2)'), 2);
    assert.equal(parenthesisDepth('SELECT \'((((\', "((", `((` FROM t'), 0);
    assert.equal(parenthesisDepth("SELECT 'it''s (', 'a\\' ((' , (1)"), 1);
    assert.equal(parenthesisDepth('SELECT 1 -- ((((\n, (2) # ((((\n/* (((( */'), 1);
    assert.equal(parenthesisDepth('SELECT ))) (1)'), 1);
  });
});

const DEEP_SQL: [connector: typeof postgresConnector, label: string, sql: string][] = [
  [postgresConnector, '200 nested subqueries', `SELECT ${nested('(SELECT ', '1', ')', 200)}`],
  [postgresConnector, '2,000 additions', `SELECT 1${'+1'.repeat(2000)}`],
  [postgresConnector, '20,000 additions', `SELECT 1${'+1'.repeat(20_000)}`],
  [postgresConnector, '400 nested CASEs', `SELECT ${nested('CASE WHEN true THEN ', '1', ' END', 400)}`],
  [mysqlConnector, `${MAX_PARENTHESES + 1} nested parentheses`, `SELECT ${nested('(', '1', ')', MAX_PARENTHESES + 1)}`],
  [mysqlConnector, '800 nested parentheses', `SELECT ${nested('(', '1', ')', 800)}`],
  [mysqlConnector, '1,000 additions', `SELECT 1${'+1'.repeat(1000)}`],
  [mysqlConnector, '400 nested CASEs', `SELECT ${nested('CASE WHEN true THEN ', '1', ' END', 400)}`],
  [mysqlConnector, '1,000 nested CASEs', `SELECT ${nested('CASE WHEN true THEN ', '1', ' END', 1000)}`],
];

const WITHIN_BOUNDS: [connector: typeof postgresConnector, label: string, sql: string][] = [
  [postgresConnector, '100 nested subqueries', `SELECT ${nested('(SELECT ', '1', ')', 100)}`],
  [postgresConnector, '400 additions', `SELECT 1${'+1'.repeat(400)}`],
  [
    postgresConnector,
    '5,000 nested parentheses (the parser does not keep them)',
    `SELECT ${nested('(', '1', ')', 5000)}`,
  ],
  [mysqlConnector, `${MAX_PARENTHESES} nested parentheses`, `SELECT ${nested('(', '1', ')', MAX_PARENTHESES)}`],
  [mysqlConnector, '60 nested subqueries', `SELECT ${nested('(SELECT ', '1', ')', 60)}`],
  [mysqlConnector, '300 additions', `SELECT 1${'+1'.repeat(300)}`],
];

describe('SQL nested past the bounds', () => {
  test(`is refused as too deeply nested (trees past ${MAX_SYNTAX_DEPTH} levels, MySQL parentheses past ${MAX_PARENTHESES})`, () => {
    for (const [connector, label, sql] of DEEP_SQL) {
      const analysis = connector.analyse({ sql });
      assert.equal(analysis.ok, false, `${connector.name}: ${label}`);
      if (analysis.ok) continue;
      assert.equal(analysis.rule, 'too-deeply-nested', `${connector.name}: ${label}: ${analysis.detail}`);
      assert.equal(analysis.code, 'invalid_sql');
    }
  });

  test('within them, is judged as before', () => {
    for (const [connector, label, sql] of WITHIN_BOUNDS) {
      const analysis = connector.analyse({ sql });
      assert.ok(analysis.ok, `${connector.name}: ${label}: ${analysis.ok ? '' : analysis.detail}`);
    }
  });

  test('gets the same answer with most of the stack already in use', () => {
    for (const [connector, label, sql] of [...DEEP_SQL, ...WITHIN_BOUNDS]) {
      const fresh = connector.analyse({ sql });
      const late = withStackUsed(5000, () => connector.analyse({ sql }));
      assert.deepEqual(late, fresh, `${connector.name}: ${label}`);
    }
  });
});

describe('an HTTP answer nested past MAX_JSON_DEPTH', () => {
  const rules = { fields: [], patterns: [], secrets: [] };
  const json = (levels: number) => Buffer.from(nested('[', '"x"', ']', levels));
  const jsonAnswer = (bytes: Buffer) => ({
    bytes,
    contentType: 'application/json',
    contentEncoding: '',
    truncated: false,
  });

  test('is masked as text, as a body that is not JSON is; within it, as JSON', () => {
    assert.deepEqual(maskedBody(jsonAnswer(json(2)), rules), [['x']]);
    const atTheBound = maskedBody(jsonAnswer(json(MAX_JSON_DEPTH)), rules);
    assert.ok(Array.isArray(atTheBound));
    assert.equal(maskedBody(jsonAnswer(json(MAX_JSON_DEPTH + 1)), rules), json(MAX_JSON_DEPTH + 1).toString());
    assert.equal(maskedBody(jsonAnswer(json(50_000)), { ...rules, fields: ['ssn'] }), '[masked]');
  });
});
