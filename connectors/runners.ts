import type { Target } from '../config/targets';
import type { Command } from '../domain/request';
import { type ImpactPreview, unavailableImpact } from '../domain/impact';
import type { PreparedRun, RunContext } from './connector';
import { httpRunner } from './http/runner';
import { kubernetesRunner } from './kubernetes/runner';
import { mysqlRunner } from './mysql/runner';
import { postgresRunner } from './postgres/runner';
import { sshRunner } from './ssh/runner';

/** The executor's runners, one per connector, each holding its connections to the targets. */
export interface TargetRunners {
  prepare(target: Target, command: Command, context: RunContext): PreparedRun;
  previewImpact(target: Target, command: Command): Promise<ImpactPreview>;
}

export function targetRunners(): TargetRunners {
  const postgres = postgresRunner();
  const mysql = mysqlRunner();
  const http = httpRunner();
  const ssh = sshRunner();
  const kubernetes = kubernetesRunner();
  return {
    prepare(target, command, context) {
      if (target.connector === 'postgres') return postgres.prepare(target, command, context);
      if (target.connector === 'mysql') return mysql.prepare(target, command, context);
      if (target.connector === 'ssh') return ssh.prepare(target, command, context);
      if (target.connector === 'kubernetes') return kubernetes.prepare(target, command, context);
      return http.prepare(target, command, context);
    },
    async previewImpact(target, command) {
      if (target.connector === 'postgres') return postgres.previewImpact!(target, command);
      return unavailableImpact(`the ${target.connector} connector makes no impact preview yet`);
    },
  };
}
