// Plaintext only: passwords and data cross the network readable by anyone on the path.

import { configValue, type Check } from './check.js';

export const noTls: Check = {
  id: 'no-tls',
  severity: 'low',
  title: 'No TLS',
  fix: 'Enable TLS (tls-port, tls-cert-file, tls-key-file) and turn the plaintext port off (port 0) where clients support it',
  run: (f) => {
    if (f.tls) return null;
    const tlsPort = configValue(f, 'tls-port');
    if (tlsPort === undefined) return f.fingerprint ? { evidence: 'the audit reached the server over plaintext' } : null;
    return tlsPort === '0' ? { evidence: `tls-port 0, port ${configValue(f, 'port') ?? '?'}: plaintext only` } : { evidence: `TLS is on (tls-port ${tlsPort}) but the plaintext port answered too`, severity: 'info' };
  },
};
