-- Queues schema, version 8: the W3C trace context of the enqueuer (traceparent, then a line feed and the tracestate when
-- there is one), so each attempt's processing span continues the trace that enqueued the job. NULL when no activity
-- was current at enqueue: nothing is formatted or stored then.
ALTER TABLE {schema}.jobs ADD COLUMN trace_context text;
