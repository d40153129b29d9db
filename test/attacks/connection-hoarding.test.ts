// Class 99: a caller that holds the API's connections by opening many and sending nothing. ADR 072
// bounds how long a request may take to arrive once it starts; a connection that has sent nothing
// yet, or is idle between requests, is another matter, and a caller needs no token to open one.
// Every held connection is a socket and a file descriptor that agents and reviewers share. The
// stack's API is told to allow 20 connections per caller (MAX_CONNECTIONS_PER_CALLER); the
// hoarder, on 127.0.0.1, opens 60 and keeps them. Each connection past the 20 that is still open a
// second later is a success.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hoardConnections, statusFrom } from '../support/slow-client';
import { TOKENS } from '../support/stack';
import { type AttackStack, READS_ALLOWED_POLICY, startAttackStack, tally } from './support';

const PER_CALLER = 20;
const OPENED = 60;

let stack: AttackStack;

before(async () => {
  stack = await startAttackStack(READS_ALLOWED_POLICY, { env: { MAX_CONNECTIONS_PER_CALLER: String(PER_CALLER) } });
});

after(async () => {
  await stack?.stop();
});

/** A reviewer's read of the request list from a loopback address, on a connection of its own. */
const listFrom = (localAddress: string) =>
  statusFrom(`${stack.baseUrl}/v1/requests`, localAddress, { authorization: `Bearer ${TOKENS.alice}` });

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('one caller holds no more connections than allowed; another caller is still served', async () => {
  const hoard = await hoardConnections(Number(new URL(stack.baseUrl).port), OPENED);
  try {
    await pause(1_000);
    const held = hoard.stillOpen();
    tally('connection-hoarding', OPENED - PER_CALLER, Math.max(0, held - PER_CALLER));
    assert.ok(held <= PER_CALLER, `the hoarder holds ${held} connections`);
    assert.ok(held >= PER_CALLER - 5, `the hoarder holds ${held}: its first connections are taken`);
    assert.equal(await listFrom('127.0.0.2'), 200, 'a reviewer elsewhere is served');
    assert.equal(await listFrom('127.0.0.1'), 'ECONNRESET', "the hoarder's next connection is closed");
  } finally {
    hoard.release();
  }
  await pause(500);
  assert.equal(await listFrom('127.0.0.1'), 200, 'connections closed count no more');
});
