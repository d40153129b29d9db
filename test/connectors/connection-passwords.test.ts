// Connection-string passwords masked by their form (ADR 071). Pure logic, nothing mocked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MASKED_PASSWORD, maskConnectionPasswords } from '../../connectors/connection-passwords';

const M = MASKED_PASSWORD;

test('each form keeps everything but the password', () => {
  const cases: Array<[string, string]> = [
    ['host=db user=sync password=s3cret dbname=app', `host=db user=sync password=${M} dbname=app`],
    ["host=db password='two words' user=x", `host=db password=${M} user=x`],
    ["password = 'it\\'s' port=5432", `password = ${M} port=5432`],
    ["dblink_connect('host=db password=''two words'' user=x')", `dblink_connect('host=db password=${M} user=x')`],
    ["dblink_connect('host=db password=s3cret')", `dblink_connect('host=db password=${M}')`],
    ['Server=crm;User Id=svc;Password=s3cret;Database=crm', `Server=crm;User Id=svc;Password=${M};Database=crm`],
    ['Driver={x};Uid=svc;Pwd={se;cret};', `Driver={x};Uid=svc;Pwd=${M};`],
    [
      'jdbc:postgresql://db/app?user=svc&password=s3cret&ssl=true',
      `jdbc:postgresql://db/app?user=svc&password=${M}&ssl=true`,
    ],
    ['DB_PASSWORD=s3cret\nDB_USER=app', `DB_PASSWORD=${M}\nDB_USER=app`],
    ['postgresql://sync:s3cret@db.internal:5432/app', `postgresql://sync:${M}@db.internal:5432/app`],
    ['mysql://sync:p@ss@db/app', `mysql://sync:${M}@db/app`],
    ["'mysql://u:pw@h'", `'mysql://u:${M}@h'`],
    ['a https://user@host/x b https://h:1/y', 'a https://user@host/x b https://h:1/y'],
    ['password is not set; pwd', 'password is not set; pwd'],
    ['password= ', 'password= '],
    // A setting's (JSON, YAML, a program's assignment) and a statement's (ADR 071, added).
    ['{"host": "db", "password": "s3 \\"cret", "user": "x"}', `{"host": "db", "password": ${M}, "user": "x"}`],
    ['{"db_password":"s3cret"}', `{"db_password":${M}}`],
    ['{"password": 12345, "user": "x"}', `{"password": ${M}`],
    ['db:\n  password: two words, here\n  user: app', `db:\n  password: ${M}\n  user: app`],
    ['passwd: none', `passwd: ${M}`],
    ["$password = 's3cret';", `$password = ${M};`],
    ["'password' => 's3cret',", `'password' => ${M},`],
    [
      "CREATE ROLE sync LOGIN PASSWORD 'it''s secret' VALID UNTIL 'infinity'",
      `CREATE ROLE sync LOGIN PASSWORD ${M} VALID UNTIL 'infinity'`,
    ],
    ["ALTER USER sync WITH ENCRYPTED PASSWORD 'md5abc';", `ALTER USER sync WITH ENCRYPTED PASSWORD ${M};`],
    ["CREATE USER 'sync'@'%' IDENTIFIED BY 's3cret'", `CREATE USER 'sync'@'%' IDENTIFIED BY ${M}`],
    [
      "ALTER USER sync IDENTIFIED WITH mysql_native_password BY 's3cret'",
      `ALTER USER sync IDENTIFIED WITH mysql_native_password BY ${M}`,
    ],
    ['the password was reset', 'the password was reset'],
  ];
  for (const [text, expected] of cases) assert.equal(maskConnectionPasswords(text), expected, text);
});

/** A password as people choose them: none of the characters that end one unquoted. */
const PASSWORD = fc
  .stringMatching(/^[A-Za-z0-9!$%*+,.:@^_~-]{6,20}$/)
  .filter((password) => /[A-Za-z0-9]{6}/.test(password));
/** What surrounds it: separators that cannot spell a password. */
const AROUND = fc.stringMatching(/^[ =;#]{0,12}$/);

test('no password in any of the forms comes back, whatever surrounds it', () => {
  fc.assert(
    fc.property(PASSWORD, AROUND, AROUND, fc.nat(8), (password, before, after, form) => {
      const written = [
        `host=db password=${password} user=x`,
        `Password=${password};`,
        `?user=x&password=${password}`,
        `postgresql://user:${password.replaceAll('/', '')}@host/db`,
        `password='${password}'`,
        `{"password": "${password}"}`,
        `password: ${password}\n`,
        `ALTER ROLE x PASSWORD '${password}'`,
        `IDENTIFIED BY '${password}'`,
      ][form]!;
      const masked = maskConnectionPasswords(`${before} ${written} ${after}`);
      assert.ok(!masked.includes(password.replaceAll('/', '')), masked);
      assert.ok(masked.includes(M), masked);
    }),
    { numRuns: 20_000 },
  );
});

test('text with no password key and no URI is returned as it is', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), (text) => {
      fc.pre(!/passw|pwd|identified|:\/\//i.test(text));
      assert.equal(maskConnectionPasswords(text), text);
    }),
    { numRuns: 20_000 },
  );
});
