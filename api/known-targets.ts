import type { TargetEntry } from '../config/target-catalogue';
import { HttpError } from './http-error';

/** The targets a command may name (TARGETS_FILE's names and connectors), checked at the door. */
export interface KnownTargets {
  list: TargetEntry[];
  /** 400 for a target nobody configured, or a command for another connector than the target's; else the target. */
  check(connector: string, name: string): TargetEntry;
}

export function knownTargets(list: TargetEntry[]): KnownTargets {
  const byName = new Map(list.map((target) => [target.name, target]));
  return {
    list,
    check(connector, name) {
      const target = byName.get(name);
      if (!target) throw new HttpError(400, 'unknown_target', `no target ${name} (GET /v1/targets lists them)`);
      if (target.connector !== connector)
        throw new HttpError(
          400,
          'unknown_target',
          `target ${name} takes ${target.connector} commands, not ${connector}`,
        );
      return target;
    },
  };
}
