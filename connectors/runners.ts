import type { Target } from '../config/targets';
import type { Command } from '../domain/request';
import { type ImpactPreview, unavailableImpact } from '../domain/impact';
import type { PreparedRun, RowBound } from './connector';
import { mysqlRunner } from './mysql/runner';
import { postgresRunner } from './postgres/runner';

/** The executor's runners, one per connector, each holding its connections to the targets. */
export interface TargetRunners {
  prepare(target: Target, command: Command, bound: RowBound): PreparedRun;
  previewImpact(target: Target, command: Command): Promise<ImpactPreview>;
}

export function targetRunners(): TargetRunners {
  const postgres = postgresRunner();
  const mysql = mysqlRunner();
  return {
    prepare(target, command, bound) {
      return target.connector === 'postgres'
        ? postgres.prepare(target, command, bound)
        : mysql.prepare(target, command, bound);
    },
    async previewImpact(target, command) {
      if (target.connector === 'postgres') return postgres.previewImpact!(target, command);
      return unavailableImpact(`the ${target.connector} connector makes no impact preview yet`);
    },
  };
}
