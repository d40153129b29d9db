-- The demo target's table, created by `npm start` when the demo database is new.
CREATE TABLE IF NOT EXISTS customers (
  id      integer PRIMARY KEY,
  name    text NOT NULL,
  email   text NOT NULL,
  ssn     text NOT NULL,
  card    text,
  plan    text NOT NULL DEFAULT 'free'
);
INSERT INTO customers (id, name, email, ssn, card, plan) VALUES
  (1, 'Ada Lovelace', 'ada@example.com', '078-05-1120', '4111 1111 1111 1111', 'pro'),
  (2, 'Alan Turing', 'alan@example.com', '219-09-9999', '5500 0000 0000 0004', 'free'),
  (3, 'Grace Hopper', 'grace@example.com', '457-55-5462', NULL, 'enterprise')
ON CONFLICT (id) DO NOTHING;
