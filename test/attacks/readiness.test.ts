// Class 49: the one call that needs no token and reaches the gate's dependencies. `GET /readyz`
// probed PostgreSQL and Temporal for every caller, so a flood of it was a flood of both; and when a
// probe failed, its error (an address, a user name in an authentication error) went back to the
// caller. Now one probe serves every caller while it runs and for a second after, and a failure
// says only `unavailable` or `timed out` (the log has why).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { healthRoutes } from '../../api/routes/health';
import { createPool } from '../../store/pool';
import { type AttackStack, countQueries, send, startAttackStack, tally } from './support';

let stack: AttackStack;
before(async () => {
  // The flood comes from one address, 300 connections at once: past ADR 077's bound per caller,
  // which connection-hoarding tests; here the probes behind the connections are counted.
  stack = await startAttackStack('version: 1\ndefault: { effect: deny }\nrules: []\n', {
    env: { MAX_CONNECTIONS_PER_CALLER: '1000' },
  });
});
after(() => stack?.stop());

test('a flood of /readyz from callers without a token probes PostgreSQL about once a second', async () => {
  const probes = countQueries(stack.pool, /^SELECT 1$/);
  try {
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 300 }, () => send(stack.baseUrl, 'GET', '/readyz', null)));
    for (let i = 0; i < 30; i++) answers.push(await send(stack.baseUrl, 'GET', '/readyz', null));
    const seconds = (Date.now() - started) / 1000;
    assert.ok(answers.every((answer) => answer.status === 200));
    assert.deepEqual(answers[0]!.json(), { ok: true, checks: { postgres: 'ok', temporal: 'ok' } });
    console.log(`${answers.length} readiness calls in ${seconds.toFixed(1)} s: ${probes.count()} PostgreSQL probes`);
    const allowed = Math.ceil(seconds) + 1;
    tally('readiness probes beyond one a second', answers.length, Math.max(0, probes.count() - allowed));
    assert.ok(probes.count() <= allowed, `${probes.count()} probes in ${seconds.toFixed(1)} s`);
  } finally {
    probes.stop();
  }
});

test('a failing dependency is named, but why it failed is not told to a caller without a token', async () => {
  const unreachable = createPool('postgres://gate_reader:not-for-callers@127.0.0.1:1/approval_gate', 1);
  const app = Fastify({ logger: false });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await app.register(healthRoutes, { pool: unreachable, client: stack.client, namespace: 'default' });
  try {
    const answer = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(answer.statusCode, 503);
    assert.deepEqual(answer.json(), { ok: false, checks: { postgres: 'unavailable', temporal: 'ok' } });
    assert.doesNotMatch(answer.body, /127\.0\.0\.1|ECONNREFUSED|gate_reader|not-for-callers/);
  } finally {
    await app.close();
    await unreachable.end();
  }
});
