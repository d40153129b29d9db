import { readFileSync } from 'node:fs';
import { type ClientConnectConfig, loadClientConnectConfig } from '@temporalio/envconfig';

/** How every process reaches Temporal: the options `Connection` and `NativeConnection` take. */
export interface TemporalConnection {
  address?: string;
  namespace: string;
  tls?: ClientConnectConfig['connectionOptions']['tls'];
  apiKey?: string;
  metadata?: ClientConnectConfig['connectionOptions']['metadata'];
}

/**
 * Reads the connection the way Temporal's own tools do (`@temporalio/envconfig`): a profile from a
 * TOML file, when TEMPORAL_PROFILE or TEMPORAL_CONFIG_FILE names one, overridden by TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS* and TEMPORAL_GRPC_META_* variables. Without
 * either, the environment alone: the gate does not pick up a profile a user left in their home.
 * Throws a message naming what is wrong; loadSettings turns it into a start-up error.
 */
export function temporalConnectionFrom(env: Record<string, string | undefined>): TemporalConnection {
  const variables = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
  if (variables.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION !== undefined)
    throw new Error(
      "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION is refused: the gate verifies Temporal's certificate (set TEMPORAL_TLS_SERVER_NAME or TEMPORAL_TLS_SERVER_CA_CERT_PATH instead)",
    );
  const fromFile = variables.TEMPORAL_PROFILE !== undefined || variables.TEMPORAL_CONFIG_FILE !== undefined;
  if (variables.TEMPORAL_PROFILE !== undefined && variables.TEMPORAL_CONFIG_FILE === undefined)
    throw new Error('TEMPORAL_PROFILE needs TEMPORAL_CONFIG_FILE, the TOML file that holds the profile');
  let loaded: ClientConnectConfig;
  try {
    loaded = loadClientConnectConfig({
      overrideEnvVars: variables,
      disableFile: !fromFile,
      configFileStrict: true,
      ...(fromFile && { configSource: { data: readFileSync(variables.TEMPORAL_CONFIG_FILE!) } }),
    });
  } catch (error) {
    throw new Error(`TEMPORAL_CONFIG_FILE / TEMPORAL_TLS_*: ${(error as Error).message}`);
  }
  const { address, apiKey, tls, metadata } = loaded.connectionOptions;
  if (apiKey !== undefined && tls === false)
    throw new Error('TEMPORAL_API_KEY is set with TLS turned off: the key would cross the network in clear');
  return {
    namespace: loaded.namespace ?? 'default',
    ...(address !== undefined && { address }),
    ...(tls !== undefined && { tls }),
    ...(typeof apiKey === 'string' && { apiKey }),
    ...(metadata !== undefined && Object.keys(metadata).length > 0 && { metadata }),
  };
}

/** The options for `Connection.connect` / `NativeConnection.connect`. */
export function connectOptions({ address, tls, apiKey, metadata }: TemporalConnection) {
  return {
    ...(address !== undefined && { address }),
    ...(tls !== undefined && { tls }),
    ...(apiKey !== undefined && { apiKey }),
    ...(metadata !== undefined && { metadata }),
  };
}
