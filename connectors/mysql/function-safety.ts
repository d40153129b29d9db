// Which MySQL/MariaDB calls leave a batch free of side effects. Only the built-ins below, reviewed
// as returning a value and doing nothing else, are safe; anything else (a stored function, which
// may write or read any table, a UDF, a built-in not listed) is unsafe unless the policy lists it
// in `safeFunctions`. Left out on purpose: SLEEP and BENCHMARK (hold a connection), GET_LOCK and
// RELEASE_LOCK (session locks), LOAD_FILE (reads the server's files), LAST_INSERT_ID (sets a
// value when given one), NEXTVAL/SETVAL/LASTVAL (sequences), MASTER_POS_WAIT and the like.

const SAFE_BUILTINS: ReadonlySet<string> = new Set(
  [
    // aggregates
    'count avg sum min max group_concat std stddev stddev_pop stddev_samp var_pop var_samp variance',
    'bit_and bit_or bit_xor json_arrayagg json_objectagg',
    // strings
    'ascii bin bit_length char char_length character_length concat concat_ws elt export_set field',
    'find_in_set format from_base64 hex insert instr lcase left length locate lower lpad ltrim',
    'make_set mid oct octet_length ord position quote regexp_instr regexp_like regexp_replace',
    'regexp_substr repeat replace reverse right rpad rtrim soundex space strcmp substr substring',
    'substring_index to_base64 trim ucase unhex upper weight_string md5 sha sha1 sha2 crc32',
    // numbers
    'abs acos asin atan atan2 ceil ceiling conv cos cot degrees div exp floor greatest least ln',
    'log log10 log2 mod pi pow power radians rand round sign sin sqrt tan truncate',
    // dates and times
    'adddate addtime convert_tz curdate current_date current_time current_timestamp curtime date',
    'date_add date_format date_sub datediff day dayname dayofmonth dayofweek dayofyear extract',
    'from_days from_unixtime get_format hour last_day localtime localtimestamp makedate maketime',
    'microsecond minute month monthname now period_add period_diff quarter sec_to_time second',
    'str_to_date subdate subtime sysdate time time_format time_to_sec timediff timestamp',
    'timestampadd timestampdiff to_days to_seconds unix_timestamp utc_date utc_time utc_timestamp',
    'week weekday weekofyear year yearweek',
    // control flow and comparison
    'if ifnull nullif coalesce isnull interval',
    // JSON
    'json_array json_array_append json_array_insert json_contains json_contains_path json_depth',
    'json_extract json_insert json_keys json_length json_merge json_merge_patch',
    'json_merge_preserve json_object json_overlaps json_quote json_remove json_replace json_search',
    'json_set json_type json_unquote json_valid json_value',
    // the session, read only
    'charset coercibility collation connection_id current_role current_user database schema',
    'session_user system_user user version uuid uuid_short',
  ]
    .join(' ')
    .split(' '),
);

/**
 * Built-ins that act on the server or other sessions, by what they do: a read that policy allowed
 * without a reviewer may not call them through a view (ADR 068). A READ ONLY transaction stops
 * none of them (it does stop NEXTVAL and SETVAL, and the executor's connection, closed after each
 * command, takes a session's own values with it).
 */
export const ACTING_BUILTINS: ReadonlyMap<string, string> = new Map([
  ...['get_lock', 'release_lock', 'release_all_locks'].map((name): [string, string] => [name, 'session locks']),
  ...['sleep', 'benchmark'].map((name): [string, string] => [name, 'sleeping']),
  ['load_file', "the server's files"],
  ...['master_pos_wait', 'master_gtid_wait', 'source_pos_wait', 'wait_for_executed_gtid_set'].map(
    (name): [string, string] => [name, 'replication'],
  ),
]);

/** Whether `name` (bare, lower-case) is a built-in reviewed as safe: a bare call of it is never a stored function. */
export const isReviewedBuiltin = (name: string): boolean => SAFE_BUILTINS.has(name);

/**
 * Why a call makes a batch not read-only, or undefined for a safe one. `name` is lower-case,
 * `schema.name` when the call names a schema (a built-in never needs one).
 */
export function unsafeCallReason(name: string, safeFunctions: ReadonlySet<string>): string | undefined {
  if (safeFunctions.has(name)) return undefined;
  if (!name.includes('.') && SAFE_BUILTINS.has(name)) return undefined;
  return `${name} is not a built-in known to be free of side effects`;
}
