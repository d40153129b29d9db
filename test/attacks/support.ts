// The attacks suite's stack: the real API listening on a port (requests go over HTTP, raw paths
// and all), both workers, the run's Temporal dev server and PostgreSQL. The gate connects as a
// login role holding approval_gate_app only, as a production deployment would, so what the
// attacker can do with the gate's own database credential is what that role can do.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before } from 'node:test';
import type { Pool } from 'pg';
import { type HttpTargetServer, startHttpTarget } from '../../tools/harness/http-target';
import type { SshTargetServer } from '../../tools/stack/ssh-target';
import { asRole } from '../../tools/stack/databases';
import { SYSTEM_CODE_DIRECTORIES } from '../../connectors/ssh/unkept-code';
import { migrate } from '../../store/migrate';
import { createPool } from '../../store/pool';
import { startSshHost, sshTargetYaml } from '../support/remote-targets';
import { type TestStack, type TestStackOptions, TOKENS, requiredEnv, startTestStack } from '../support/stack';
import type { TargetWatch } from '../support/target-watch';

export type Who = keyof typeof TOKENS;

/** The policy most classes attack: read-only SQL runs at once, everything else waits for a dba. */
export const READS_ALLOWED_POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: read-only-sql
    when: sql.readOnly
    effect: allow
`;

/**
 * READS_ALLOWED_POLICY, except that on the targets named everything waits for a dba, so a read
 * there is a reviewed one; `rules` are further rules after those, each indented by two spaces.
 */
export const readsAllowedExceptOn = (reviewed: readonly string[], rules = '') => `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: reviewed-target
    when: ${reviewed.map((target) => `request.target == "${target}"`).join(' || ')}
    effect: require_approval
    approval: { groups: [dba], quorum: 1, timeout: 1h }
  - name: read-only-sql
    when: sql.readOnly
    effect: allow
${rules}`;

/** The README's guard on a masked column `ssn`: a read that names it or reads whole rows. */
export const MASKED_COLUMN_GUARD =
  'sql.columns.exists(c, c == "ssn" || c.endsWith(".ssn") || c.endsWith(".*") || c == "*")';

/** Every command waits for one dba: for classes about what the gate spends, not what policy allows. */
export const ALL_NEED_APPROVAL_POLICY = `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules: []
`;

/** The run's PostgreSQL target and its MariaDB as `shop-db`, for classes that attack both connectors. */
export const POSTGRES_AND_MYSQL_TARGETS = `targets:
  app-db:
    connector: postgres
    url: \${TEST_TARGET_DATABASE_URL}
  shop-db:
    connector: mysql
    url: \${TEST_MYSQL_URL}
    database: ${requiredEnv('TEST_MYSQL_DATABASE')}
    statementTimeout: 5s
`;

export interface AttackStack extends TestStack {
  baseUrl: string;
  /** The run's superuser on the gate's database: to look behind the gate, never used by it. */
  admin: Pool;
  /** The target database, as its owner (the executor's credential). */
  target: Pool;
  /** The login role the gate runs as, and its URL. */
  appRole: string;
  appUrl: string;
}

/** A login role with approval_gate_app only (no superuser, no audit owner), allowed to connect. */
async function createAppRole(admin: Pool): Promise<{ role: string; url: string }> {
  const role = `gate_app_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const database = new URL(requiredEnv('TEST_DATABASE_URL')).pathname.slice(1);
  await admin.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER PASSWORD '${password}' IN ROLE approval_gate_app`);
  await admin.query(`GRANT CONNECT ON DATABASE ${database} TO ${role}`);
  return { role, url: asRole(requiredEnv('TEST_DATABASE_URL'), role, password) };
}

export async function startAttackStack(policy: string, options: TestStackOptions = {}): Promise<AttackStack> {
  const admin = createPool(requiredEnv('TEST_DATABASE_URL'), 4);
  // approval_gate_app comes from migration 006.
  await migrate(admin);
  const app = await createAppRole(admin);
  const stack = await startTestStack(policy, { ...options, databaseUrl: app.url });
  await stack.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = stack.app.server.address() as AddressInfo;
  const target = createPool(requiredEnv('TEST_TARGET_DATABASE_URL'), 4);
  return {
    ...stack,
    baseUrl: `http://127.0.0.1:${port}`,
    admin,
    target,
    appRole: app.role,
    appUrl: app.url,
    async stop() {
      await stack.stop();
      await target.end();
      await admin.end();
    },
  };
}

/**
 * An entry of a targets file: `name`, an HTTP target on the server beside the stack
 * (startAttackStackWithHttpTarget) with its credential and CA, and `settings`, further YAML lines
 * of it (`methods: [GET]`), each indented by four spaces.
 */
export const httpTarget = (name: string, settings: string) => `  ${name}:
    connector: http
    baseUrl: \${TEST_HTTP_BASE_URL}
    auth:
      type: bearer
      token: \${TEST_HTTP_TOKEN}
    ca: \${TEST_HTTP_CA}
${settings}`;

/** An entry of a targets file: `name`, the test's PostgreSQL target, and `settings` as for httpTarget. */
export const postgresTarget = (name: string, settings = '') => `  ${name}:
    connector: postgres
    url: \${TEST_TARGET_DATABASE_URL}
${settings}`;

/** A targets file: POSTGRES_AND_MYSQL_TARGETS and one HTTP target (httpTarget). */
export const withHttpTarget = (name: string, settings: string) =>
  `${POSTGRES_AND_MYSQL_TARGETS}${httpTarget(name, settings)}`;

/**
 * The attack stack with a real HTTP target (tools/harness/http-target.ts) beside it, which
 * `options.targets` reaches by \${TEST_HTTP_BASE_URL} (HTTPS), \${TEST_HTTP_TOKEN} and \${TEST_HTTP_CA}.
 */
export async function startAttackStackWithHttpTarget(
  policy: string,
  options: TestStackOptions & { targets: string },
): Promise<AttackStack & { http: HttpTargetServer }> {
  const http = await startHttpTarget(requiredEnv('TEST_SCRATCH_DIR'));
  process.env.TEST_HTTP_BASE_URL = http.httpsUrl;
  process.env.TEST_HTTP_TOKEN = http.token;
  process.env.TEST_HTTP_CA = http.caPem;
  const stack = await startAttackStack(policy, options);
  return {
    ...stack,
    http,
    async stop() {
      await stack.stop();
      await http.stop();
    },
  };
}

/** The last rule of the binder classes' policies: every other HTTP call runs at once. */
export const OTHER_HTTP_CALLS_ALLOWED = `  - name: billing-calls
    when: request.connector == "http"
    effect: allow
`;

/**
 * For a file of attacks on the harness's billing API (GET and POST, 5 s): the attack stack with it,
 * under `policy`, started before the file's tests and stopped after them. Call the result for it.
 */
export function billingApiStack(
  policy: string,
  /** More settings of the target, each line indented by four spaces. */
  settings = '',
): () => AttackStack & { http: HttpTargetServer } {
  let stack: (AttackStack & { http: HttpTargetServer }) | undefined;
  before(async () => {
    stack = await startAttackStackWithHttpTarget(policy, {
      targets: withHttpTarget('billing-api', `    methods: [GET, POST]\n    timeout: 5s\n${settings}`),
    });
  });
  after(async () => {
    await stack?.stop();
  });
  return () => {
    assert.ok(stack, 'the stack starts before the tests');
    return stack;
  };
}

/**
 * The SSH classes' host, under a deny list: shells, `touch`, `git init`, `rm -rf`, `kill -9`, force
 * pushes, mode 777 and paths under the work directory's `protected/` are denied, everything else runs (the README advises allow rules; a deny list must still hold for what the host actually
 * runs). A command "succeeds" if the file it would create exists on the host.
 */
const denyListPolicy = (workDir: string) => `version: 1
default: { effect: allow }
rules:
  - name: no-shells
    when: request.connector == "ssh" && ssh.usesShell
    effect: deny
    reason: no shells
  - name: no-touching
    when: ssh.program == "touch"
    effect: deny
    reason: nothing is created over SSH
  - name: no-new-repositories
    when: ssh.program == "git" && ssh.args.size() >= 1 && ssh.args[0] == "init"
    effect: deny
    reason: repositories are made by the deploy tooling
  - name: no-forced-recursive-removal
    when: ssh.program == "rm" && "-rf" in ssh.args
    effect: deny
    reason: trees are removed by the cleanup job
  - name: no-forced-kills
    when: ssh.program == "kill" && "-9" in ssh.args
    effect: deny
    reason: services are stopped with systemctl
  - name: no-force-pushes
    when: ssh.program == "git" && ssh.args.exists(a, a == "push") && ("--force" in ssh.args || "-f" in ssh.args)
    effect: deny
    reason: history is rewritten by people, not agents
  - name: no-world-writable
    when: request.connector == "ssh" && "777" in ssh.args
    effect: deny
    reason: nothing is made world-writable
  - name: protected-directory
    when: request.connector == "ssh" && ssh.args.exists(a, a.startsWith("${workDir}/protected/"))
    effect: deny
    reason: the protected directory is written by the deploy tooling
`;

export interface DenyListHost {
  /** The API's address, for a test that sends its own request. */
  baseUrl: string;
  /** A directory on the host the commands may create files in. */
  workDir: string;
  /** The host's user the commands run as, for a test that leaves files there as that user. */
  username: string;
  /** That user's home on the host. */
  home: string;
  /**
   * A directory under `/srv`, which the targets list among the directories they keep code in (with
   * the system's), as a team lists where its repositories are (ADR 116): a repository left here is
   * one git may use without being read as a shell. The login cannot write it, only what is left in it.
   */
  keptDir: string;
  /**
   * `app/` in the work directory (and `app/sub/`, where `web-3` starts), which the targets list among
   * the directories they keep code in while the work directory above it stays the login's: a team that lists `/srv/app`
   * but not `/srv` (ADR 118). Only root writes in it.
   */
  appDir: string;
  /**
   * Runs `argv` on the host as the agent, on `web-1` (commands start in `/`), `web-2` (they start in
   * the work directory) or `web-3` (they start in `app/sub/`, see `appDir`): its final status, the deciding rule and its explanation (and, if it failed,
   * why); `refused` with the error's code and message if the API refused it at the door.
   */
  run(
    argv: string[],
    target?: 'web-1' | 'web-2' | 'web-3',
  ): Promise<{ status: string; rule: string; explanation: string }>;
}

/**
 * Runs each command on `target` and asserts it ran to success under the deny list's default rule:
 * a reading that closes a class must leave the plain uses of the same programs alone.
 */
export async function assertStillRun(
  host: DenyListHost,
  commands: readonly string[][],
  target?: 'web-1' | 'web-2' | 'web-3',
): Promise<void> {
  for (const argv of commands) {
    const allowed = await host.run(argv, target);
    assert.deepEqual(
      [allowed.status, allowed.rule],
      ['succeeded', 'default'],
      `${argv.join(' ')}: ${allowed.explanation}`,
    );
  }
}

/** Starts the SSH test host and the stack under the deny list, before the file's tests; stops them after. */
export function denyListHost(): () => DenyListHost {
  let stack: AttackStack | undefined;
  let server: SshTargetServer | undefined;
  let keptDir = '';
  before(async () => {
    server = await startSshHost();
    mkdirSync('/srv', { recursive: true });
    keptDir = mkdtempSync('/srv/approval-gate-kept-');
    chmodSync(keptDir, 0o755);
    mkdirSync(path.join(server.workDir, 'app', 'sub'), { recursive: true, mode: 0o755 });
    const kept = `codeDirectories: [${[...SYSTEM_CODE_DIRECTORIES, '/srv', `${server.workDir}/app`].join(', ')}]`;
    stack = await startAttackStack(denyListPolicy(server.workDir), {
      targets: [
        'targets:',
        sshTargetYaml('web-1', ['timeout: 5s', kept]),
        sshTargetYaml('web-2', ['timeout: 5s', `directory: ${server.workDir}`, kept]),
        sshTargetYaml('web-3', ['timeout: 5s', `directory: ${server.workDir}/app/sub`, kept]),
      ].join('\n'),
    });
  });
  after(async () => {
    await stack?.stop();
    await server?.stop();
    if (keptDir !== '') rmSync(keptDir, { recursive: true, force: true });
  });
  const run = async (argv: string[], target = 'web-1') => {
    const submitted = await send(stack!.baseUrl, 'POST', '/v1/requests', 'agent', {
      connector: 'ssh',
      target,
      command: { argv },
      reason: 'an attack',
    });
    // Refused at the door (a command no policy may let through, ADR 107): nothing recorded, nothing run.
    if (submitted.status === 400) {
      const { error, message } = submitted.json<{ error: string; message: string }>();
      return { status: 'refused', rule: error, explanation: message };
    }
    assert.equal(submitted.status, 202, submitted.text);
    const view = await waitFor(stack!, submitted.json<{ id: string }>().id, ['denied', 'succeeded', 'failed']);
    const policy = view.policy as { rule: string; explanation: string };
    // A command that did not run says why, with what the host's sshd saw, for the assertion that trips on it.
    const failure =
      view.status === 'failed' ? `\nit failed: ${String(view.error)}\nthe host's log:\n${server!.log()}` : '';
    return { status: String(view.status), rule: policy.rule, explanation: policy.explanation + failure };
  };
  return () => {
    assert.ok(stack && server, 'the stack starts before the tests');
    const { workDir, username, home } = server;
    return { baseUrl: stack.baseUrl, workDir, username, home, keptDir, appDir: path.join(workDir, 'app'), run };
  };
}

/** One attempt on the protected directory: the command, and the name it would make under `protected/`. */
export interface ProtectedWrite {
  argv: string[];
  makes: string;
}

/**
 * Makes the work directory's `protected/` (and each of `beside` next to it) for the host's user to
 * write in, then sends each command, made for the work directory, as an agent, in order (`leave`
 * first leaves what it needs on the host); returns those that made their file under `protected/`,
 * the work directory written as `DIR`.
 */
export async function protectedWrites<Attempt extends ProtectedWrite>(
  host: DenyListHost,
  commands: readonly ((dir: string) => Attempt)[],
  { beside = [], leave }: { beside?: readonly string[]; leave?: (attempt: Attempt, index: number) => void } = {},
): Promise<string[]> {
  for (const directory of ['protected', ...beside]) makeWritableDirectory(path.join(host.workDir, directory));
  const walkedAround: string[] = [];
  for (const [index, attempt] of commands.map((command) => command(host.workDir)).entries()) {
    leave?.(attempt, index);
    await host.run(attempt.argv);
    if (existsSync(path.join(host.workDir, 'protected', attempt.makes)))
      walkedAround.push(attempt.argv.join(' ').replaceAll(host.workDir, 'DIR'));
  }
  return walkedAround;
}

/** Why an attack on programs the SSH host lacks is skipped (`not on this host: …`), or false when it has them all. */
export function skipWithout(programs: readonly string[]): string | false {
  const missing = programs.filter((program) => {
    try {
      execFileSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  return missing.length > 0 && `not on this host: ${missing.join(', ')}`;
}

/**
 * Makes `directory` on the host (the work directory is on this machine) for its SSH user to write
 * in: the deny list refuses to make the protected directory itself, as it reads a command on it as
 * acting in it (ADR 090).
 */
export function makeWritableDirectory(directory: string): void {
  mkdirSync(directory, { recursive: true, mode: 0o1777 });
  chmodSync(directory, 0o1777);
}

/**
 * Leaves a git repository at `repository` on the host, made outside the gate and owned by the host's
 * user (git refuses a repository another user owns when it finds it itself), that tracks `files`
 * (path in the repository → content) in one commit, with `settings` saved in its configuration.
 */
export function leaveRepository(
  host: DenyListHost,
  repository: string,
  files: Record<string, string>,
  settings: Record<string, string> = {},
): void {
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(repository, file)), { recursive: true });
    writeFileSync(path.join(repository, file), content);
  }
  // Made as root in a directory that may be the user's own already (a home): git would call that dubious.
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'safe.directory=*', '-C', repository, ...args], { stdio: 'ignore' });
  git('init', '-q');
  git('add', '.');
  git('-c', 'user.name=attacker', '-c', 'user.email=attacker@example.com', 'commit', '-qm', 'left on the host');
  for (const [name, value] of Object.entries(settings)) git('config', name, value);
  execFileSync('chown', ['-R', host.username, repository]);
}

/** A shared library, built outside the gate, whose constructor creates `file` when it is loaded. */
export function leaveLibrary(library: string, file: string): void {
  const source = `${library}.c`;
  writeFileSync(
    source,
    `#include <fcntl.h>\n#include <unistd.h>\n` +
      `__attribute__((constructor)) static void made(void) { close(open(${JSON.stringify(file)}, O_CREAT | O_WRONLY, 0644)); }\n` +
      // What gcc asks of a plugin, so that it loads it at all.
      'int plugin_is_GPL_compatible;\nint plugin_init(void) { return 0; }\n',
  );
  execFileSync('gcc', ['-shared', '-fPIC', '-o', library, source]);
}

/**
 * Runs `argv` in `directory` as the host's user, outside the gate, as an earlier session of that
 * login would have (a build that warms its caches).
 */
export function runAsHostUser(host: DenyListHost, argv: readonly string[], directory: string): void {
  execFileSync('runuser', ['-u', host.username, '--', 'env', `HOME=${host.home}`, ...argv], {
    cwd: directory,
    stdio: 'ignore',
  });
}

/**
 * Runs each command on the host, given a fresh file under the host's work directory (`prefix-0`,
 * `prefix-1`, …) to create; the names (`label`, the program by default) of those that created it.
 */
export async function commandsThatCreated(
  host: DenyListHost,
  prefix: string,
  commands: readonly ((file: string) => string[])[],
  label: (argv: string[]) => string = (argv) => argv[0]!,
): Promise<string[]> {
  const created: string[] = [];
  for (const [index, command] of commands.entries()) {
    const file = path.join(host.workDir, `${prefix}-${index}`);
    await host.run(command(file));
    if (existsSync(file)) created.push(label(command(file)));
  }
  return created;
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

/** One HTTP request with the path sent exactly as given (no URL normalisation). */
export function send(
  baseUrl: string,
  method: string,
  rawPath: string,
  who: Who | null,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        hostname,
        port,
        method,
        path: rawPath,
        headers: {
          ...(who && { authorization: `Bearer ${TOKENS[who]}` }),
          ...(payload && { 'content-type': 'application/json', 'content-length': String(payload.length) }),
          ...headers,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json: () => JSON.parse(text) });
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/**
 * The target database as the run's superuser (the world around the gate: extensions, foreign
 * servers, functions only a superuser may make), never used by the gate.
 */
export function targetSuperuserUrl(): string {
  const url = new URL(requiredEnv('TEST_DATABASE_URL'));
  url.pathname = new URL(requiredEnv('TEST_TARGET_DATABASE_URL')).pathname;
  return url.toString();
}

export function submitBody(sql: string, reason = 'an attack', extra: Record<string, unknown> = {}) {
  return { connector: 'postgres', target: 'app-db', command: { sql }, reason, ...extra };
}

/** Polls until the request is in one of `statuses`. */
export async function waitFor(
  stack: AttackStack,
  id: string,
  statuses: string[],
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = (await send(stack.baseUrl, 'GET', `/v1/requests/${id}`, 'alice')).json();
    if (statuses.includes(view.status as string)) return view;
    if (Date.now() > deadline)
      throw new Error(`${id} is ${String(view.status)}, not ${statuses.join('|')}, after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * An HTTP call submitted as the agent and followed until it runs, fails, is denied or waits: its
 * request's view, or the gate's answer when it refused the call at submit (400).
 */
export async function submitHttpCall(
  stack: AttackStack,
  target: string,
  reason: string,
  command: unknown,
): Promise<{ refusal: string } | { id: string; view: Record<string, unknown> }> {
  const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', {
    connector: 'http',
    target,
    reason,
    command,
  });
  if (submitted.status === 400) return { refusal: submitted.text };
  assert.equal(submitted.status, 202, submitted.text);
  const id = submitted.json<{ id: string }>().id;
  return { id, view: await waitFor(stack, id, ['succeeded', 'failed', 'denied', 'pending_approval']) };
}

/** The calls the HTTP target received for request `id` (the executor sends its id as the Idempotency-Key). */
export const callsReceivedFor = (stack: AttackStack & { http: HttpTargetServer }, id: string) =>
  stack.http.received.filter((each) => each.headers['idempotency-key'] === id);

/**
 * A policy whose rule `the-ledger-is-guarded` denies what `guard` matches (a condition about the
 * ledger), above a looser rule that allows everything else on both targets: a command that walks
 * around the guard is allowed.
 */
export const ledgerGuardPolicy = (guard: string) => `version: 1
default: { effect: require_approval, approval: { groups: [dba], quorum: 1, timeout: 1h } }
rules:
  - name: the-ledger-is-guarded
    when: ${guard}
    effect: deny
    reason: only the ledger service reads or changes the ledger
  - name: everything-else
    when: request.target in ["shop-db", "app-db"]
    effect: allow
`;

/** SQL that makes `table` afresh, on PostgreSQL and MySQL alike: a ledger of one row, id 1, amount 100. */
export const freshLedger = (table: string) =>
  `DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} (id int PRIMARY KEY, amount int NOT NULL); INSERT INTO ${table} VALUES (1, 100)`;

/** The run's PostgreSQL target again, as `pathed-db`, resolving bare names in `searchPath` (to append to a targets file). */
export const pathedTarget = (searchPath: readonly string[]) => `  pathed-db:
    connector: postgres
    url: \${TEST_TARGET_DATABASE_URL}
    searchPath: [${searchPath.join(', ')}]
`;

/**
 * Asks the policy about each command (`/v1/policy/explain`): those it allows, each with the rule
 * that did. A command refused as unreadable (400 `invalid_sql`) is not allowed.
 */
export async function allowedOf(stack: AttackStack, commands: ReturnType<typeof submitBody>[]): Promise<string[]> {
  const allowed: string[] = [];
  for (const command of commands) {
    const answer = await send(stack.baseUrl, 'POST', '/v1/policy/explain', 'agent', command);
    if (answer.status === 400) {
      assert.match(answer.text, /"code":"invalid_sql"/, `${command.command.sql}: ${answer.text}`);
      continue;
    }
    assert.equal(answer.status, 200, answer.text);
    const { effect, rule } = answer.json<{ decision: { effect: string; rule: string } }>().decision;
    if (effect === 'allow') allowed.push(`${command.command.sql}: ${rule}`);
  }
  return allowed;
}

/** A command on one of POSTGRES_AND_MYSQL_TARGETS' targets, as the agent submits it. */
export const onPostgres = (sql: string) => submitBody(sql);
export const onMysql = (sql: string) => ({ ...submitBody(sql), connector: 'mysql', target: 'shop-db' });

/**
 * Asks the policy about each command (`/v1/policy/explain`): those `rule` did not decide, each
 * with the rule that did. The commands must all be readable.
 */
export async function decidedByAnotherRule(
  stack: AttackStack,
  rule: string,
  commands: ReturnType<typeof submitBody>[],
): Promise<string[]> {
  const others: string[] = [];
  for (const command of commands) {
    const answer = await send(stack.baseUrl, 'POST', '/v1/policy/explain', 'agent', command);
    assert.equal(answer.status, 200, answer.text);
    const decided = answer.json<{ decision: { rule: string } }>().decision.rule;
    if (decided !== rule) others.push(`${command.command.sql}: ${decided}`);
  }
  return others;
}

/** Submits `command` and waits for its end: the request as the API shows it then. */
export async function submitToTheEnd(
  stack: AttackStack,
  command: ReturnType<typeof submitBody>,
): Promise<Record<string, unknown>> {
  const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', command);
  assert.equal(submitted.status, 202, submitted.text);
  return waitFor(stack, submitted.json<{ id: string }>().id, ['denied', 'succeeded', 'failed']);
}

/**
 * Runs each read to its end (each must succeed) and asserts that none of `secrets` is in what the
 * API answers about it; how many held one.
 */
export async function readsLeaking(
  stack: AttackStack,
  commands: readonly ReturnType<typeof submitBody>[],
  secrets: readonly string[],
): Promise<number> {
  let leaked = 0;
  for (const command of commands) {
    const view = await submitToTheEnd(stack, command);
    const text = JSON.stringify(view);
    assert.equal(view.status, 'succeeded', `${command.command.sql}: ${text}`);
    const found = secrets.filter((value) => text.includes(value));
    if (found.length > 0) leaked += 1;
    assert.deepEqual(found, [], `${command.command.sql} leaked: ${text}`);
  }
  return leaked;
}

/**
 * Submits each batch as the agent on app-db, where policy allows it alone, to its end, watching the
 * target around it: those that did not fail, or acted on the target (a notice, a victim's session
 * ended), as `sql: status, effects`. A refused one must name what it would have reached (its
 * pattern) and, when given, match `refusedAs` too.
 */
export async function batchesActing(
  stack: AttackStack,
  watch: TargetWatch,
  probes: readonly (readonly [string, RegExp])[],
  refusedAs?: RegExp,
): Promise<string[]> {
  const acted: string[] = [];
  for (const [sql, named] of probes) {
    const { result: view, effects } = await watch.around(() => submitToTheEnd(stack, onPostgres(sql)));
    if (view.status !== 'failed' || effects.length > 0) acted.push(`${sql}: ${[view.status, ...effects].join(', ')}`);
    else {
      assert.match(String(view.error), named, sql);
      if (refusedAs) assert.match(String(view.error), refusedAs, sql);
    }
  }
  return acted;
}

/**
 * Submits `command` as the agent, waits for it to be held, has alice (a dba) approve it, and waits
 * for its end: the request as the API shows it then (it must have run).
 */
export async function approvedToTheEnd(
  stack: AttackStack,
  command: ReturnType<typeof submitBody>,
): Promise<Record<string, unknown>> {
  const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', command);
  assert.equal(submitted.status, 202, submitted.text);
  const id = submitted.json<{ id: string }>().id;
  await waitFor(stack, id, ['pending_approval']);
  const approved = await send(stack.baseUrl, 'POST', `/v1/requests/${id}/approve`, 'alice', {});
  assert.equal(approved.status, 200, approved.text);
  const view = await waitFor(stack, id, ['succeeded', 'failed']);
  assert.equal(view.status, 'succeeded', JSON.stringify(view));
  return view;
}

/** Submits `sql` as the agent and waits until it is held for approval; returns its id. */
export async function submitPending(stack: AttackStack, sql: string, reason: string): Promise<string> {
  const submitted = await send(stack.baseUrl, 'POST', '/v1/requests', 'agent', submitBody(sql, reason));
  const id = submitted.json<{ id: string }>().id;
  await waitFor(stack, id, ['pending_approval']);
  return id;
}

/** A tally the suite prints per class: attempts made and how many got through. */
export function tally(label: string, attempts: number, successes: number): void {
  console.log(`attack class "${label}": ${attempts} attempts, ${successes} successes`);
}

/**
 * Counts the queries matching `pattern` that `pool` runs from now on: a pass-through spy on the
 * pool a stack's API and workers share; every query still runs.
 */
export function countQueries(pool: Pool, pattern: RegExp): { count: () => number; stop: () => void } {
  const query = pool.query;
  let matched = 0;
  pool.query = function (this: Pool, ...args: unknown[]) {
    if (typeof args[0] === 'string' && pattern.test(args[0])) matched += 1;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as Pool['query'];
  return { count: () => matched, stop: () => void (pool.query = query) };
}
