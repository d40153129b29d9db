// How many connections one caller may hold open to the API at once (ADR 077). Every connection is
// a socket and a file descriptor, which agents, reviewers' browsers, Slack and the load balancer's
// probes share; ADR 072 bounds how long a request may take to arrive, not how many connections a
// caller keeps, idle between requests or not, and a caller needs no token to open them.
import type { Server, Socket } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Who holds a connection: its IPv4 address, or the /64 network of its IPv6 address, which one
 * host is routinely given whole (an IPv4 address written as IPv6 is its IPv4 address).
 */
export function callerOf(remoteAddress: string): string {
  const address = ipaddr.process(remoteAddress);
  if (address.kind() === 'ipv4') return address.toString();
  const parts = (address as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((part) => part.toString(16)).join(':')}::/64`;
}

/** Whether an address is one of `ranges` (addresses or CIDR ranges, as TRUST_PROXY lists them). */
export function addressMatcher(ranges: readonly string[]): (remoteAddress: string) => boolean {
  const networks = ranges.map((range): [ipaddr.IPv4 | ipaddr.IPv6, number] => {
    if (!range.includes('/')) {
      const address = ipaddr.process(range);
      return [address, address.kind() === 'ipv4' ? 32 : 128];
    }
    const [network, bits] = ipaddr.parseCIDR(range);
    // An IPv4 range written as IPv6 (::ffff:10.0.0.0/104) matches IPv4 callers, as they are processed.
    if (network.kind() === 'ipv6' && (network as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96)
      return [(network as ipaddr.IPv6).toIPv4Address(), bits - 96];
    return [network, bits];
  });
  return (remoteAddress) => {
    const address = ipaddr.process(remoteAddress);
    return networks.some(([network, bits]) => address.kind() === network.kind() && address.match(network, bits));
  };
}

/**
 * Closes, as it is accepted, each connection past `max` that one caller (callerOf) holds at once.
 * Callers in `exempt` (the proxies TRUST_PROXY names, which carry many callers' connections and
 * bound their own) are not counted. `onRefused` hears of refused connections at most once a
 * minute, with how many, so a flood of them writes no flood of log lines.
 */
export function capConnectionsPerCaller(
  server: Server,
  {
    max,
    exempt = [],
    onRefused,
  }: { max: number; exempt?: readonly string[]; onRefused: (caller: string, refused: number) => void },
): void {
  const exempted = addressMatcher(exempt);
  const held = new Map<string, number>();
  let refusedSinceTold = 0;
  let toldAt = 0;
  server.on('connection', (socket: Socket) => {
    const remote = socket.remoteAddress;
    if (remote === undefined || exempted(remote)) return;
    const caller = callerOf(remote);
    const holding = held.get(caller) ?? 0;
    if (holding >= max) {
      socket.destroy();
      refusedSinceTold += 1;
      if (Date.now() - toldAt >= 60_000) {
        onRefused(caller, refusedSinceTold);
        refusedSinceTold = 0;
        toldAt = Date.now();
      }
      return;
    }
    held.set(caller, holding + 1);
    socket.once('close', () => {
      const left = (held.get(caller) ?? 1) - 1;
      if (left === 0) held.delete(caller);
      else held.set(caller, left);
    });
  });
}
