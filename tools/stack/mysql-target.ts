import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';

/** MySQL/MariaDB as its administrator reaches it (root, no password, on the machines this runs on). */
export const DEFAULT_MYSQL_ADMIN_URL = 'mysql://root@127.0.0.1:3306';

export interface MysqlTargetDatabase {
  /** The executor's connection string: a user of its own, with rights on this database only. */
  url: string;
  password: string;
  database: string;
  /** A connection to the database as the administrator (to set up tables and look at what commands did). */
  connectAsAdmin(): Promise<mysql.Connection>;
  drop(): Promise<void>;
}

/**
 * A fresh database on the MySQL/MariaDB server and a least-privilege user for the executor: data
 * and routine rights on that database, nothing on any other, no FILE, PROCESS or SUPER.
 */
export async function createMysqlTarget(adminUrl: string): Promise<MysqlTargetDatabase> {
  const suffix = randomBytes(4).toString('hex');
  const database = `gate_target_${suffix}`;
  const user = `gate_exec_${suffix}`;
  const password = `my-${randomBytes(12).toString('hex')}`;
  let admin: mysql.Connection;
  try {
    admin = await mysql.createConnection({ uri: adminUrl, connectTimeout: 5_000 });
  } catch (error) {
    throw new Error(
      `TEST_MYSQL_ADMIN_URL: no MySQL/MariaDB server answers at ${withoutCredentials(adminUrl)} (${(error as Error).message})`,
    );
  }
  try {
    await admin.query(`CREATE DATABASE \`${database}\``);
    await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
    await admin.query(
      `GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX, EXECUTE, SHOW VIEW ON \`${database}\`.* TO '${user}'@'%'`,
    );
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.username = user;
  url.password = password;
  url.pathname = `/${database}`;
  return {
    url: url.toString(),
    password,
    database,
    connectAsAdmin: () => mysql.createConnection({ uri: adminUrl, database, connectTimeout: 5_000 }),
    async drop() {
      const cleanup = await mysql.createConnection({ uri: adminUrl, connectTimeout: 5_000 });
      try {
        await cleanup.query(`DROP DATABASE IF EXISTS \`${database}\``);
        await cleanup.query(`DROP USER IF EXISTS '${user}'@'%'`);
      } finally {
        await cleanup.end();
      }
    },
  };
}

function withoutCredentials(url: string): string {
  const shown = new URL(url);
  shown.username = '';
  shown.password = '';
  return shown.href;
}
