// The committed catalogue of built-ins (what sql.readOnly is judged by) is what the generator reads
// from the test run's real PostgreSQL. When the server's major version differs from the one the
// file was generated from, the comparison cannot hold and the test says so instead.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  type BuiltinCatalogue,
  catalogueText,
  readBuiltinCatalogue,
} from '../../connectors/postgres/builtin-catalogue';
import { withClient } from '../../tools/stack/databases';
import { requiredEnv } from '../support/stack';

const file = path.join(__dirname, '../../connectors/postgres/builtin-catalogue.json');

test('builtin-catalogue.json is what the generator reads from pg_proc, pg_operator and pg_type', async (context) => {
  const committed = readFileSync(file, 'utf8');
  const generated = await withClient(requiredEnv('TEST_DATABASE_URL'), readBuiltinCatalogue);
  const { postgresMajor } = JSON.parse(committed) as BuiltinCatalogue;
  if (generated.postgresMajor !== postgresMajor) {
    context.skip(`the file was generated from PostgreSQL ${postgresMajor}; this server is ${generated.postgresMajor}`);
    return;
  }
  assert.equal(catalogueText(generated), committed, 'regenerate it: npm run catalogue -- <the test server URL>');
});

test('the catalogue knows the functions the deny list names, so the list is not stale', () => {
  const { functions } = JSON.parse(readFileSync(file, 'utf8')) as BuiltinCatalogue;
  for (const name of [
    'pg_terminate_backend',
    'set_config',
    'pg_advisory_lock',
    'lo_import',
    'pg_read_file',
    'nextval',
    'pg_sleep',
    'query_to_xml',
    'pg_notify',
  ]) {
    assert.ok(functions[name], `${name} is not in the catalogue`);
  }
  assert.equal(functions.lower, 'immutable');
  assert.equal(functions.pg_terminate_backend, 'volatile');
});
