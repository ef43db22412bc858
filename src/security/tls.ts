// TLS listeners: the tls-* directives turned into node:tls options, the listeners built from
// them (same connection handler as plain TCP once the handshake is done), client-certificate
// policy (tls-auth-clients), a bounded session cache, and reloading on CONFIG SET (certificate rotation).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:crypto';
import tls from 'node:tls';
import type { Config } from '../config/config.js';
import type { Logger } from '../server/log.js';
import { INVALID_TLS_PROTOCOLS, TLS_PROTOCOLS } from '../config/special.js';
import * as E from '../errors.js';

type Protocol = (typeof TLS_PROTOCOLS)[number];
const PROTOCOLS = TLS_PROTOCOLS;
/** OpenSSL's switch for each version, to leave out a version inside the min..max range. */
const NO_PROTOCOL: Record<Protocol, number> = {
  'TLSv1': constants.SSL_OP_NO_TLSv1,
  'TLSv1.1': constants.SSL_OP_NO_TLSv1_1,
  'TLSv1.2': constants.SSL_OP_NO_TLSv1_2,
  'TLSv1.3': constants.SSL_OP_NO_TLSv1_3,
};
const CA_REQUIRED =
  'Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!';

/** Node's default list, split as OpenSSL keeps it: TLS 1.3 suites apart from the older ciphers. */
const DEFAULT_SUITES = tls.DEFAULT_CIPHERS.split(':').filter((c) => c.startsWith('TLS_')).join(':');
const DEFAULT_CIPHERS = tls.DEFAULT_CIPHERS.split(':').filter((c) => !c.startsWith('TLS_')).join(':');

/** The versions enabled: Redis's default is TLS 1.2 and 1.3. */
function protocols(text: string): Set<Protocol> {
  if (text === '') return new Set(['TLSv1.2', 'TLSv1.3']);
  const set = new Set<Protocol>();
  for (const w of text.split(' ')) {
    const p = PROTOCOLS.find((x) => x.toLowerCase() === w.toLowerCase());
    if (p === undefined) throw new Error(INVALID_TLS_PROTOCOLS);
    set.add(p);
  }
  return set;
}

/** Certificates of tls-ca-cert-dir: every regular file in it (PEM), as OpenSSL's CApath would trust. */
function readCaDir(dir: string): Buffer[] {
  const out: Buffer[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    const pem = readFileSync(path);
    if (pem.includes('-----BEGIN CERTIFICATE-----')) out.push(pem);
  }
  return out;
}

function readFile(what: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`Failed to load ${what} '${path}': ${(err as Error).message}`, { cause: err });
  }
}

/** What a TLS listener needs: the context options and the client-certificate policy. */
export interface TlsSettings {
  readonly context: tls.SecureContextOptions;
  readonly requestCert: boolean;
  /** tls-auth-clients yes: no certificate, or one the CA did not sign, fails the handshake. */
  readonly rejectUnauthorized: boolean;
  readonly sessionCaching: boolean;
  readonly sessionCacheSize: number;
  readonly sessionTimeout: number;
}

/**
 * Reads files and directives into TlsSettings, and proves them by building a context once.
 * Throws an Error naming the problem (the message goes to the log, as Redis's).
 */
export function tlsSettings(config: Config): TlsSettings {
  return tlsSettingsFor(config, false);
}

function tlsSettingsFor(config: Config, client: boolean): TlsSettings {
  const certFile = config.str('tls-cert-file');
  const keyFile = config.str('tls-key-file');
  if (certFile === '') throw new Error('No tls-cert-file configured!');
  if (keyFile === '') throw new Error('No tls-key-file configured!');
  const auth = config.str('tls-auth-clients');
  const caFile = config.str('tls-ca-cert-file');
  const caDir = config.str('tls-ca-cert-dir');
  if ((client || auth !== 'no') && caFile === '' && caDir === '') throw new Error(CA_REQUIRED);

  const ca: Buffer[] = [];
  if (caFile !== '') ca.push(readFile('CA certificate(s) file', caFile));
  if (caDir !== '') {
    try {
      ca.push(...readCaDir(caDir));
    } catch (err) {
      throw new Error(`Failed to configure CA certificate(s) directory '${caDir}': ${(err as Error).message}`, { cause: err });
    }
  }

  const enabled = protocols(config.str('tls-protocols'));
  const lo = PROTOCOLS.findIndex((p) => enabled.has(p));
  const hi = PROTOCOLS.findLastIndex((p) => enabled.has(p));
  const minVersion = PROTOCOLS[lo];
  const maxVersion = PROTOCOLS[hi];
  // protocols() enables at least one version or throws.
  if (minVersion === undefined || maxVersion === undefined) throw new Error(INVALID_TLS_PROTOCOLS);
  let secureOptions = 0;
  // Versions between the lowest and highest enabled that were not asked for are switched off.
  for (const p of PROTOCOLS.slice(lo, hi + 1)) if (!enabled.has(p)) secureOptions |= NO_PROTOCOL[p];

  const caching = config.bool('tls-session-caching');
  if (!caching) secureOptions |= constants.SSL_OP_NO_TICKET;

  const suites = config.str('tls-ciphersuites') || DEFAULT_SUITES;
  // Checked on their own: mixed with the TLS 1.2 list, unknown suites would pass unnoticed.
  try {
    if (suites.split(':').some((x) => !x.startsWith('TLS_'))) throw new Error('TLS 1.3 suite names start with TLS_');
    tls.createSecureContext({ ciphers: suites });
  } catch (err) {
    throw new Error(`Failed to configure TLS: invalid tls-ciphersuites '${suites}': ${(err as Error).message}`, { cause: err });
  }
  const ciphers = config.str('tls-ciphers') || DEFAULT_CIPHERS;
  const context: tls.SecureContextOptions = {
    cert: readFile('certificate', certFile),
    key: readFile('private key', keyFile),
    minVersion,
    maxVersion,
    // TLS 1.0 and 1.1 need OpenSSL's lowest security level; only when they are asked for.
    ciphers: lo < 2 ? `${suites}:${ciphers}:@SECLEVEL=0` : `${suites}:${ciphers}`,
    honorCipherOrder: config.bool('tls-prefer-server-ciphers'),
    sessionTimeout: config.num('tls-session-cache-timeout'),
    ...(secureOptions !== 0 ? { secureOptions } : {}),
    ...(ca.length > 0 ? { ca } : {}),
  };
  const pass = config.str('tls-key-file-pass');
  if (pass !== '') context.passphrase = pass;
  const dh = config.str('tls-dh-params-file');
  if (dh !== '') context.dhparam = readFile('DH params file', dh);
  try {
    tls.createSecureContext(context);
  } catch (err) {
    throw new Error(`Failed to configure TLS: ${(err as Error).message}`, { cause: err });
  }
  return {
    context,
    requestCert: auth !== 'no',
    rejectUnauthorized: auth === 'yes',
    sessionCaching: caching,
    sessionCacheSize: config.num('tls-session-cache-size'),
    sessionTimeout: config.num('tls-session-cache-timeout'),
  };
}

/**
 * The options of an outgoing TLS connection (tls-replication: a replica's link to its primary),
 * as Redis 7.0's client context: the certificate and key of tls-client-cert-file and
 * tls-client-key-file when set, else tls-cert-file and tls-key-file; the primary's certificate
 * must verify against tls-ca-cert-file / tls-ca-cert-dir (the chain, as Redis checks it: not the
 * host name, which Redis 7.0 does not check either). Throws an Error naming what is missing.
 */
export function tlsClientOptions(config: Config): tls.ConnectionOptions {
  return { ...clientContext(config), rejectUnauthorized: true, checkServerIdentity: () => undefined };
}

/** The context options of an outgoing TLS connection (tlsClientOptions). */
function clientContext(config: Config): tls.SecureContextOptions {
  const settings = tlsSettingsFor(config, true);
  const clientCert = config.str('tls-client-cert-file');
  const clientKey = config.str('tls-client-key-file');
  const context: tls.SecureContextOptions = { ...settings.context };
  if (clientCert !== '' && clientKey !== '') {
    context.cert = readFile('certificate', clientCert);
    context.key = readFile('private key', clientKey);
    const pass = config.str('tls-client-key-file-pass');
    if (pass !== '') context.passphrase = pass;
    else delete context.passphrase;
    try {
      tls.createSecureContext(context);
    } catch (err) {
      throw new Error(`Failed to configure TLS: ${(err as Error).message}`, { cause: err });
    }
  }
  delete context.honorCipherOrder;
  delete context.sessionTimeout;
  return context;
}

/**
 * The cluster bus's TLS (tls-cluster yes), as Redis 7.0's: the listener presents tls-cert-file and
 * requires of every peer a certificate the CA (tls-ca-cert-file / tls-ca-cert-dir) signed, whatever
 * tls-auth-clients says for clients; outgoing links present the client certificate
 * (tlsClientOptions: tls-client-cert-file, else tls-cert-file) and verify the peer's against the
 * same CA. Throws an Error naming what is missing or unreadable.
 */
export function tlsClusterBus(config: Config): { server: tls.SecureContextOptions; client: tls.SecureContext } {
  return { server: tlsSettingsFor(config, true).context, client: tls.createSecureContext(clientContext(config)) };
}

/**
 * One server's TLS listeners and the settings each was last given (the session cache and the
 * optional-certificate check read them per connection); CONFIG SET of a tls-* directive reloads them.
 */
export class TlsListeners {
  private readonly current = new Map<tls.Server, TlsSettings>();

  /**
   * A TLS listener whose established connections go to `onSecure`. `onRaw` sees each TCP
   * connection before the handshake and may refuse it (trusted-networks) by returning false.
   */
  create(
    log: Logger,
    settings: TlsSettings,
    onRaw: (socket: import('node:net').Socket) => boolean,
    onSecure: (socket: tls.TLSSocket) => void,
  ): tls.Server {
    const srv = tls.createServer({
      ...settings.context,
      requestCert: settings.requestCert,
      rejectUnauthorized: settings.rejectUnauthorized,
    });
    this.current.set(srv, settings);
    const settingsOf = (): TlsSettings => this.current.get(srv) ?? settings;
    // Node emits 'connection' with the raw socket before wrapping it; the check runs first.
    srv.prependListener('connection', (raw: import('node:net').Socket) => {
      if (!onRaw(raw)) raw.destroy();
    });
    srv.on('secureConnection', (socket: tls.TLSSocket) => {
      const s = settingsOf();
      // tls-auth-clients optional: no certificate is fine, a certificate that fails verification is not.
      if (s.requestCert && !s.rejectUnauthorized && !socket.authorized && hasPeerCertificate(socket)) {
        log.verbose(`Error accepting a client connection: ${String(socket.authorizationError)}`);
        socket.destroy();
        return;
      }
      onSecure(socket);
    });
    srv.on('tlsClientError', (err, socket) => {
      log.verbose(`Error accepting a client connection: ${err.message} (addr=${socket.remoteAddress ?? '?'})`);
    });
    attachSessionCache(srv, settingsOf);
    return srv;
  }

  /** A listener closed (or that never listened): reloads no longer reach it. */
  forget(srv: import('node:net').Server): void {
    for (const s of this.current.keys()) if (s === srv) this.current.delete(s);
  }

  /**
   * Apply hook of every tls-* directive: rebuilds the context from the configuration now in
   * force and hands it to the running listeners. New connections use it; established ones keep theirs.
   */
  reload(config: Config, log: Logger): Error | undefined {
    if (this.current.size === 0) return undefined;
    let settings: TlsSettings;
    try {
      settings = tlsSettings(config);
    } catch (err) {
      log.warning((err as Error).message);
      return new Error(E.TLS_UPDATE_FAILED);
    }
    for (const srv of this.current.keys()) {
      srv.setSecureContext(settings.context);
      // Read per connection by node:tls when it wraps the accepted socket.
      const mutable = srv as unknown as { requestCert: boolean; rejectUnauthorized: boolean };
      mutable.requestCert = settings.requestCert;
      mutable.rejectUnauthorized = settings.rejectUnauthorized;
      this.current.set(srv, settings);
    }
    return undefined;
  }
}

function hasPeerCertificate(socket: tls.TLSSocket): boolean {
  // Null once the socket is destroyed (Node's documentation; its type leaves that out).
  const cert = socket.getPeerCertificate() as tls.PeerCertificate | null;
  return cert !== null && Object.keys(cert).length > 0;
}

/**
 * A server-side session-ID cache bounded by tls-session-cache-size entries, each valid for
 * tls-session-cache-timeout seconds (Node keeps none of its own; tickets work without it).
 */
function attachSessionCache(srv: tls.Server, settingsOf: () => TlsSettings): void {
  const cache = new Map<string, { data: Buffer; expires: number }>();
  srv.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
    const s = settingsOf();
    if (s.sessionCaching && s.sessionCacheSize > 0) {
      cache.set(id.toString('hex'), { data, expires: Date.now() + s.sessionTimeout * 1000 });
      // Oldest first out, as a full OpenSSL cache drops its oldest sessions.
      for (const oldest of cache.keys()) {
        if (cache.size <= s.sessionCacheSize) break;
        cache.delete(oldest);
      }
    }
    done();
  });
  srv.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
    const s = settingsOf();
    const key = id.toString('hex');
    const hit = cache.get(key);
    if (hit === undefined || !s.sessionCaching || hit.expires < Date.now()) {
      cache.delete(key);
      done(null, null);
      return;
    }
    done(null, hit.data);
  });
}
