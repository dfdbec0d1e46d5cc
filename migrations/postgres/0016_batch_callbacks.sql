-- A batch's completion callback (docs/callbacks.md): the URL given as callbackUrl at submission. The completion
-- sweep writes its batch.completed event into callback_events in the transaction that records the completion;
-- the event's request_id column then holds the batch id, and its correlation_id a name-based key of the batch id.
ALTER TABLE batches ADD COLUMN callback_url text;
