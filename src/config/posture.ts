// The security posture the server logs at startup, phrased from the configuration in force and
// the addresses actually bound: who can connect, whether they must authenticate, encryption, and
// which dangerous commands and settings are gated.

import type { Config } from './config.js';

export interface BoundAddress {
  readonly host: string;
  readonly port: number;
  readonly family: 'tcp' | 'unix';
}

export interface PostureLine {
  readonly level: 'notice' | 'warning';
  readonly text: string;
}

export function isLoopback(host: string): boolean {
  const h = host.startsWith('::ffff:') ? host.slice(7) : host;
  return h === '::1' || h === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

export function formatAddress(a: BoundAddress): string {
  if (a.family === 'unix') return `unix:${a.host}`;
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

const gate = (value: string, what: string): string =>
  value === 'no' ? `${what} disabled` : value === 'local' ? `${what} allowed from local connections only` : `${what} ENABLED`;

export function securityPosture(config: Config, addresses: readonly BoundAddress[]): PostureLine[] {
  const out: PostureLine[] = [];
  const password = config.str('requirepass') !== '';
  const protectedMode = config.bool('protected-mode');
  const remote = addresses.filter((a) => a.family === 'tcp' && !isLoopback(a.host));

  if (remote.length === 0) {
    out.push({ level: 'notice', text: 'Security: listening on loopback addresses only; other hosts cannot connect' });
  } else {
    out.push({
      level: 'notice',
      text: `Security: listening on non-loopback addresses (${remote.map(formatAddress).join(', ')}); other hosts can connect`,
    });
  }
  out.push({
    level: 'notice',
    text: password
      ? 'Security: the default user requires a password (requirepass is set)'
      : 'Security: the default user has no password',
  });
  out.push({
    level: 'notice',
    text: protectedMode
      ? password
        ? 'Security: protected mode is on (it only acts while the default user has no password)'
        : 'Security: protected mode is on: clients from non-loopback addresses are refused while the default user has no password'
      : 'Security: protected mode is off',
  });
  out.push({ level: 'notice', text: 'Security: TLS is off (tls-port 0): traffic is not encrypted' });
  out.push({
    level: 'notice',
    text:
      `Security: ${gate(config.str('enable-debug-command'), 'DEBUG')}, ` +
      `${gate(config.str('enable-module-command'), 'MODULE')}, ` +
      `${gate(config.str('enable-protected-configs'), 'CONFIG SET of protected settings (dir, dbfilename)')}`,
  });
  if (remote.length > 0 && !password && !protectedMode) {
    out.push({
      level: 'warning',
      text:
        'WARNING: anyone who can reach this server can run any command without a password. ' +
        'Set requirepass, bind to loopback addresses only, or turn protected mode on.',
    });
  }
  return out;
}
