-- Databases of the reference deployment (docker-compose.yml). Temporal's auto-setup creates its own.
CREATE DATABASE approval_gate;
CREATE DATABASE approval_gate_demo;
\connect approval_gate_demo
\i /seed/demo-seed.sql
