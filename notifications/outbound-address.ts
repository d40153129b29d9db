// Where the gate may send a callback or webhook. A hostile agent names the callback URL, so the
// host is resolved first and every address it resolves to is classified; loopback, private,
// link-local (cloud metadata lives there), unique-local and every other special range are
// refused unless the host is explicitly allowed. The connection then goes to the address that
// was checked: no second DNS lookup that a rebinding name could answer differently.
import { lookup as dnsLookup } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export class OutboundAddressRefused extends Error {
  override name = 'OutboundAddressRefused';
}

/** The special range an address is in (`loopback`, `private`, `linkLocal`, ...), or undefined for a public one. */
export function specialRange(address: string): string | undefined {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6 = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress())
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  const range = parsed.range();
  return range === 'unicast' ? undefined : range;
}

/** A URL's host without IPv6 brackets: what DNS and net.connect take. */
export function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

function refusal(host: string, address: string, range: string): OutboundAddressRefused {
  return new OutboundAddressRefused(
    `refused to connect to ${host}: it is (or resolves to) ${address}, a ${range} address; allow the host explicitly to reach it`,
  );
}

/** Resolves a host name to every address, refusing the lot when any is special and the host is not allowed. */
export function resolveAllowed(host: string, allowSpecial: boolean): Promise<{ address: string; family: number }[]> {
  return new Promise((resolve, reject) => {
    if (isIP(host)) {
      const range = specialRange(host);
      if (range && !allowSpecial) return reject(refusal(host, host, range));
      return resolve([{ address: host, family: isIP(host) }]);
    }
    dnsLookup(host, { all: true, verbatim: true }, (error, addresses) => {
      if (error) return reject(error);
      if (!allowSpecial) {
        for (const { address } of addresses) {
          const range = specialRange(address);
          if (range) return reject(refusal(host, address, range));
        }
      }
      resolve(addresses);
    });
  });
}

/** For http.request's `lookup`: the connection uses only addresses resolveAllowed checked. */
export function guardedLookup(allowSpecial: boolean): LookupFunction {
  return (hostname, options, callback) => {
    resolveAllowed(hostname, allowSpecial).then(
      (addresses) => {
        const wanted =
          options.family === 4 || options.family === 6
            ? addresses.filter((entry) => entry.family === options.family)
            : addresses;
        if (wanted.length === 0)
          return callback(new OutboundAddressRefused(`${hostname} has no address of the family asked for`), '', 0);
        if (options.all)
          return (callback as unknown as (error: null, addresses: { address: string; family: number }[]) => void)(
            null,
            wanted,
          );
        callback(null, wanted[0]!.address, wanted[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}
