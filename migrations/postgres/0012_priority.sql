-- Request priority: 1 (least urgent) to 5 (most urgent). Rows from before priorities ran at the default, 3.
-- Every dispatch of a request (first attempt and each retry) is published with it as the broker message's priority.
ALTER TABLE inference_requests ADD COLUMN priority integer NOT NULL DEFAULT 3;
ALTER TABLE inference_requests_archive ADD COLUMN priority integer NOT NULL DEFAULT 3;
