-- The impact preview the executor made before reviewers were asked (domain/impact.ts): shown with
-- the request, and the bound its execution is held to.
ALTER TABLE requests ADD COLUMN impact jsonb;
