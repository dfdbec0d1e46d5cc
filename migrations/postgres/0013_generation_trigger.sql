-- A new saga row numbers its generation in the INSERT itself: one past the highest generation of its request id in
-- the archive, 1 for an id never archived. Before this, every insert first ran its own SELECT on the archive (one
-- more round trip and one more commit for each submission). The value comes back to the application in the
-- INSERT's RETURNING clause. (SQLite, one process, keeps the SELECT: it has no round trip to save.)
CREATE FUNCTION inference_requests_number_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.generation := 1 + COALESCE(
        (SELECT max(a.generation) FROM inference_requests_archive a WHERE a.request_id = NEW.request_id), 0);
    RETURN NEW;
END
$$;

CREATE TRIGGER inference_requests_generation
    BEFORE INSERT ON inference_requests
    FOR EACH ROW EXECUTE FUNCTION inference_requests_number_generation();
