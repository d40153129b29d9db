// Which function calls leave a batch free of side effects. A call is safe only when it names a
// built-in of the committed catalogue (builtin-catalogue.json, generated from pg_proc) that is
// immutable or stable, or one of the few reviewed volatile built-ins below, and that is on no
// deny list. Anything else (user-defined, extension, schema-qualified outside pg_catalog) is
// unsafe unless the policy lists it in `safeFunctions`.
import catalogue from './builtin-catalogue.json';
import type { BuiltinCatalogue } from './builtin-catalogue';

const builtins = catalogue as BuiltinCatalogue;
const builtinOperators = new Set(builtins.operators);
const builtinTypes = new Set(builtins.types);

/**
 * Built-ins that act on the server or the session, or read what masking cannot follow. Reviewed
 * against PostgreSQL 18's pg_proc; a name is matched whole (the patterns are anchored).
 */
export const DENIED_BUILTINS: readonly { category: string; names: RegExp }[] = [
  {
    category: 'process signalling',
    names:
      /^(pg_cancel_backend|pg_terminate_backend|pg_reload_conf|pg_rotate_logfile|pg_promote|pg_log_backend_memory_contexts|pg_log_standby_snapshot)$/,
  },
  {
    category: 'configuration',
    names:
      /^(set_config|setseed|pg_stat_reset.*|pg_stat_clear_snapshot|pg_stat_force_next_flush|pg_clear_(attribute|relation)_stats|pg_restore_(attribute|relation)_stats|pg_import_system_collations)$/,
  },
  { category: 'advisory locks', names: /^pg_(try_)?advisory_.*$/ },
  { category: 'large objects', names: /^(lo_.*|loread|lowrite)$/ },
  {
    category: 'file access',
    names:
      /^(pg_read_file|pg_read_binary_file|pg_ls_.*|pg_stat_file|pg_current_logfile|pg_hba_file_rules|pg_ident_file_mappings|pg_show_all_file_settings)$/,
  },
  {
    category: 'write-ahead log and backups',
    names:
      /^(pg_switch_wal|pg_backup_(start|stop)|pg_create_restore_point|pg_wal_replay_(pause|resume)|pg_export_snapshot)$/,
  },
  {
    category: 'replication',
    names: /^(pg_.*replication_slot.*|pg_logical_.*|pg_replication_origin_.*|pg_sync_replication_slots)$/,
  },
  { category: 'sequences', names: /^(nextval|setval|currval|lastval)$/ },
  { category: 'transaction ids', names: /^(txid_current|pg_current_xact_id)$/ },
  { category: 'notifications', names: /^pg_notify$/ },
  { category: 'sleeping', names: /^pg_sleep(_for|_until)?$/ },
  // These run SQL given as text, or read a table named in a string: policy and masking see neither.
  {
    category: 'SQL given as text',
    names: /^(query_to_xml.*|cursor_to_xml.*|table_to_xml.*|schema_to_xml.*|database_to_xml.*|ts_stat|ts_rewrite)$/,
  },
  { category: 'remote calls', names: /^(dblink.*|postgres_fdw.*)$/ },
];

/** Volatile built-ins reviewed as returning a value and doing nothing else. */
export const HARMLESS_VOLATILE_BUILTINS: ReadonlySet<string> = new Set([
  'clock_timestamp',
  'timeofday',
  'random',
  'random_normal',
  'gen_random_uuid',
  'uuidv4',
  'uuidv7',
  'array_sample',
  'array_shuffle',
  'pg_is_in_recovery',
  'pg_relation_size',
  'pg_table_size',
  'pg_indexes_size',
  'pg_total_relation_size',
  'pg_database_size',
]);

/** Deny-list categories whose functions read data that neither policy nor masking can see. */
const OPAQUE_READ_CATEGORIES = new Set(['SQL given as text', 'remote calls']);

/**
 * Whether a call may read table data through a path the parser cannot follow: SQL given as text,
 * a remote call, or any function that is not built in (a user function can read any table).
 */
export function readsOpaquely(qualifiedName: string): boolean {
  const reason = unsafeFunctionReason(qualifiedName, new Set());
  return reason === 'not a built-in function' || OPAQUE_READ_CATEGORIES.has(reason ?? '');
}

export function deniedCategory(name: string): string | undefined {
  return DENIED_BUILTINS.find((entry) => entry.names.test(name))?.category;
}

/**
 * The verdict per built-in name: it never changes while the process runs. Only names of the
 * catalogue are kept, so names an agent makes up cannot grow the map.
 */
const verdicts = new Map<string, string | undefined>();

/**
 * Why a call of `qualifiedName` (as the parser names it: `lower`, `pg_catalog.lower`,
 * `public.my_fn`) is not known to be free of side effects; undefined when it is.
 */
export function unsafeFunctionReason(qualifiedName: string, safeFunctions: ReadonlySet<string>): string | undefined {
  if (safeFunctions.has(qualifiedName)) return undefined;
  if (verdicts.has(qualifiedName)) return verdicts.get(qualifiedName);
  const verdict = builtinVerdict(qualifiedName);
  if (builtins.functions[qualifiedName.split('.').at(-1)!]) verdicts.set(qualifiedName, verdict);
  return verdict;
}

function builtinVerdict(qualifiedName: string): string | undefined {
  const parts = qualifiedName.split('.');
  const name = parts.at(-1)!;
  if (parts.length > 1 && parts.slice(0, -1).join('.') !== 'pg_catalog') return 'not a built-in function';
  const denied = deniedCategory(name);
  if (denied) return denied;
  const volatility = builtins.functions[name];
  if (!volatility) return 'not a built-in function';
  if (volatility === 'volatile' && !HARMLESS_VOLATILE_BUILTINS.has(name)) return 'a volatile built-in';
  return undefined;
}

/** Whether `name` (bare) is a built-in function's: a bare call of it means pg_catalog's, searched first. */
export const isBuiltinFunction = (name: string): boolean => Object.hasOwn(builtins.functions, name);

/** An operator as written (`+`, `public.+++`): only built-in operator names are known. */
export function isBuiltinOperator(qualifiedName: string): boolean {
  const parts = qualifiedName.split('.');
  return (parts.length === 1 || parts[0] === 'pg_catalog') && builtinOperators.has(parts.at(-1)!);
}

/** A type named in a cast (`int4`, `pg_catalog.text`, `public.money2`). */
export function isBuiltinType(qualifiedName: string): boolean {
  const parts = qualifiedName.split('.');
  return (parts.length === 1 || parts[0] === 'pg_catalog') && builtinTypes.has(parts.at(-1)!);
}
