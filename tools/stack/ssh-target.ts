// A real OpenSSH server for the ssh connector's tests: Debian's `sshd` on a loopback port, with a
// host key and a client key made for this run, and one unprivileged user that only this run's key
// signs in as. Nothing of the machine's own SSH set-up is read or changed.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { hasExited, stopChild } from './child-exit';
import { freePort } from './ports';

const SSHD = '/usr/sbin/sshd';
/** The user commands run as, when the tests run as root (else the tests' own user). */
const TEST_USER = 'gate-ssh-test';

export interface SshTargetServer {
  host: string;
  port: number;
  username: string;
  /** The user's home, as the host's user database says: where sshd runs `~/.ssh/rc` from. */
  home: string;
  /** The client key the executor holds (OpenSSH text): tests look for it where it must not appear. */
  privateKey: string;
  /** The server's public host key, as known_hosts writes it: what a target pins. */
  hostKey: string;
  /** A directory the user may write to: commands leave marks here for the tests to count. */
  workDir: string;
  /** What sshd has logged (connections, sign-ins, disconnections): for a failing test to print. */
  log(): string;
  /** Kills every session sshd holds (SIGKILL, as a crashing host would); the server listens on. */
  dropConnections(): void;
  stop(): Promise<void>;
}

function keyPair(file: string, comment: string): { privateKey: string; publicKey: string } {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  return { privateKey: readFileSync(file, 'utf8'), publicKey: readFileSync(`${file}.pub`, 'utf8').trim() };
}

/** The user sshd lets this run's key in as: a locked-down account of its own when we are root. */
function sshUser(): string {
  if (process.getuid?.() !== 0) return userInfo().username;
  try {
    execFileSync('id', ['-u', TEST_USER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--system', '--create-home', '--shell', '/bin/sh', TEST_USER]);
  }
  // `*`: no password can sign in, yet the account is not "locked" (sshd refuses a locked one).
  // Written only when it is not so already: rewriting /etc/shadow while another run's sshd reads it
  // for a sign-in is a needless race between runs on one machine.
  const password = execFileSync('getent', ['shadow', TEST_USER], { encoding: 'utf8' }).split(':')[1];
  if (password !== '*') execFileSync('usermod', ['-p', '*', TEST_USER]);
  return TEST_USER;
}

/** Starts sshd in `scratch`; refuses with the package to install when there is no sshd. */
export async function startSshTarget(scratch: string): Promise<SshTargetServer> {
  if (!existsSync(SSHD))
    throw new Error(`the ssh connector's tests need OpenSSH's server at ${SSHD}: apt-get install -y openssh-server`);
  // A directory per server: several test files (and the fault harness) each start their own.
  const dir = mkdtempSync(path.join(scratch, 'sshd-'));
  chmodSync(dir, 0o755);
  const workDir = path.join(dir, 'work');
  mkdirSync(workDir, { mode: 0o1777 });
  chmodSync(workDir, 0o1777);
  // Privilege separation needs its empty directory, as the Debian package's service would make.
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const host = keyPair(path.join(dir, 'host_ed25519'), 'approval-gate test host');
  const client = keyPair(path.join(dir, 'client_ed25519'), 'approval-gate test executor');
  const authorizedKeys = path.join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, `${client.publicKey}\n`, { mode: 0o644 });
  const username = sshUser();
  const home = execFileSync('getent', ['passwd', username], { encoding: 'utf8' }).split(':')[5]!;
  const port = await freePort();
  const config = path.join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${path.join(dir, 'host_ed25519')}`,
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      `AllowUsers ${username}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin no',
      'UsePAM no',
      // The scratch directory's owner is the test run, not the user: ownership checks would refuse it.
      'StrictModes no',
      'PrintMotd no',
      'AllowTcpForwarding no',
      'X11Forwarding no',
      'PermitTTY no',
      // Sign-ins and disconnections, no more: a failed test prints this to say what the host saw.
      'LogLevel VERBOSE',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  // The last 64 KiB: a long fault run signs in thousands of times.
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-65_536)));
  await waitForListener(port, child, () => log);
  return {
    host: '127.0.0.1',
    port,
    username,
    home,
    privateKey: client.privateKey,
    hostKey: host.publicKey.split(' ').slice(0, 2).join(' '),
    workDir,
    log: () => log,
    dropConnections: () => killDescendants(child.pid!),
    stop: () => stopChild(child),
  };
}

/**
 * SIGKILL to every process under `pid`, `pid` itself spared: parents before their children, so
 * that no sshd is left to tell the client how the command ended (a lost connection says nothing).
 */
function killDescendants(pid: number): void {
  const tree: number[] = [];
  for (let parents = [pid]; parents.length > 0;) {
    const children = parents.flatMap(childrenOf);
    tree.push(...children);
    parents = children;
  }
  for (const descendant of tree) {
    try {
      process.kill(descendant, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep found none
  }
}

async function waitForListener(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const { connect } = await import('node:net');
  for (let tries = 0; tries < 100; tries++) {
    if (hasExited(child)) throw new Error(`sshd exited at start: ${log().trim()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`sshd did not listen on 127.0.0.1:${port}: ${log().trim()}`);
}
