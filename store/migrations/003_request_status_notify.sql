-- Long-polling agents (GET /v1/requests/:id?wait=N) wake on this instead of polling the table:
-- one notification per status change, carrying the request id, sent when the change commits.
CREATE FUNCTION requests_notify_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status THEN
    PERFORM pg_notify('request_status', NEW.id);
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER requests_notify_status AFTER UPDATE ON requests
  FOR EACH ROW EXECUTE FUNCTION requests_notify_status();
