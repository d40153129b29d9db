// Settings a batch reads that may hold a secret (ADR 066). A custom setting (its name has a dot:
// `app.settings.jwt_secret`) set on a database or a role applies to every session the executor
// opens, and is where PostgREST, Supabase and many applications keep a JWT secret or an API key;
// a few built-in settings hold a connection string or a command line with a password in it. Read
// by a batch, their values are masked on every target, as stored credentials are (ADR 062).

/** Built-in settings whose value may hold a password: a replica's connection string, and commands. */
const SECRET_BUILTIN_SETTINGS = new Set([
  'primary_conninfo',
  'ssl_passphrase_command',
  'archive_command',
  'restore_command',
  'archive_cleanup_command',
  'recovery_end_command',
]);

/**
 * Whether reading the setting `name` may read a secret: a custom or an extension's setting, one of
 * the built-ins above, all of them (`SHOW ALL`), or a name the parse tree cannot tell (undefined:
 * `current_setting('app.' || x)`).
 */
export function settingMayHoldSecret(name: string | undefined): boolean {
  if (name === undefined) return true;
  const lower = name.trim().toLowerCase();
  return lower.includes('.') || lower === 'all' || SECRET_BUILTIN_SETTINGS.has(lower);
}
