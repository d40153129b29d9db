-- Databases and roles of the reference deployment (docker-compose.yml); Temporal's auto-setup
-- creates its own databases. Passwords come from the postgres service's environment.
\getenv gate_owner_password GATE_OWNER_DB_PASSWORD
\getenv gate_app_password GATE_APP_DB_PASSWORD
\getenv demo_executor_password DEMO_EXECUTOR_DB_PASSWORD

-- The roles migration 006 uses: created here because gate_owner may not create roles.
CREATE ROLE approval_gate_app NOLOGIN;
CREATE ROLE approval_gate_audit_owner NOLOGIN;

-- gate_owner runs migrations and owns the schema; it may hand the audit log to its owner role.
CREATE ROLE gate_owner LOGIN PASSWORD :'gate_owner_password' IN ROLE approval_gate_audit_owner;
-- gate_app is what the API and the workers connect as: no superuser, no audit owner.
CREATE ROLE gate_app LOGIN PASSWORD :'gate_app_password' IN ROLE approval_gate_app;
-- The demo target's executor: reaches the demo database only.
CREATE ROLE approval_gate_demo_executor LOGIN PASSWORD :'demo_executor_password';

CREATE DATABASE approval_gate OWNER gate_owner;
REVOKE CONNECT ON DATABASE approval_gate FROM PUBLIC;
GRANT CONNECT ON DATABASE approval_gate TO gate_owner, gate_app;

CREATE DATABASE approval_gate_demo OWNER approval_gate_demo_executor;
REVOKE CONNECT ON DATABASE approval_gate_demo FROM PUBLIC;
GRANT CONNECT ON DATABASE approval_gate_demo TO approval_gate_demo_executor;
\connect approval_gate_demo
ALTER SCHEMA public OWNER TO approval_gate_demo_executor;
SET ROLE approval_gate_demo_executor;
\i /seed/demo-seed.sql
