-- What a request weighs in a list answer: its fields that can be large (the command, the result,
-- the impact preview, the error), in bytes of their text. A list page stops at a size by these
-- figures without reading the fields (store/requests.ts, listRequests): an agent's reads return
-- up to maxResultBytes each, and a page of 100 of them was 86 MiB that the API read, held and
-- wrote for every list call. Kept by a trigger on every write, so no writer can leave it wrong.
-- Rows recorded before this migration have none; lists weigh those as they read them.
CREATE FUNCTION request_large_fields_bytes(p_command jsonb, p_result jsonb, p_impact jsonb, p_error text)
RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
  SELECT octet_length(p_command::text)::bigint
    + coalesce(octet_length(p_result::text), 0)
    + coalesce(octet_length(p_impact::text), 0)
    + coalesce(octet_length(p_error), 0)
$$;

ALTER TABLE requests ADD COLUMN large_fields_bytes bigint;

CREATE FUNCTION requests_weigh_large_fields() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.large_fields_bytes := request_large_fields_bytes(NEW.command, NEW.result, NEW.impact, NEW.error);
  RETURN NEW;
END
$$;

CREATE TRIGGER requests_weigh_large_fields BEFORE INSERT OR UPDATE ON requests
  FOR EACH ROW EXECUTE FUNCTION requests_weigh_large_fields();
