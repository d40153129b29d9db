// The run's MySQL/MariaDB target as its administrator sees it: to set up tables and look at what
// commands did there, never used by the gate.
import mysql from 'mysql2/promise';
import { requiredEnv } from './stack';

/** The accounts the MySQL tests read and write; masked values among them. */
export const ACCOUNTS_SQL = `
  DROP TABLE IF EXISTS accounts;
  CREATE TABLE accounts (id int PRIMARY KEY, owner text, email text, ssn text, card text, balance int NOT NULL);
  INSERT INTO accounts VALUES
    (1, 'Ada', 'ada@example.com', '078-05-1120', '4111 1111 1111 1111', 100),
    (2, 'Alan', 'alan@example.com', '219-09-9999', '5500-0000-0000-0004', 200),
    (3, 'Grace', 'grace@example.com', '457-55-5462', NULL, 300);`;

/** A connection to the run's MySQL target database as root, taking several statements at once. */
export function connectMysqlAdmin(): Promise<mysql.Connection> {
  return mysql.createConnection({
    uri: requiredEnv('TEST_MYSQL_ADMIN_URL'),
    database: requiredEnv('TEST_MYSQL_DATABASE'),
    multipleStatements: true,
  });
}
