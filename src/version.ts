// Versions reported by INFO, HELLO and --version.

/** Redoubt's own version (package.json). */
export const VERSION = '0.1.0';
/** The Redis version whose behaviour and replies Redoubt matches; INFO redis_version reports it. */
export const REDIS_VERSION = '7.0.15';
