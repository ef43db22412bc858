// A plain TCP connection to a server under test on loopback, for benchmarks that speak RESP
// themselves.

import net from 'node:net';

/** Connects to 127.0.0.1:`port` with Nagle off; resolves once connected. */
export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}
