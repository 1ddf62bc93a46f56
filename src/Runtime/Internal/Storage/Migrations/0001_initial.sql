-- Queues schema, version 1: the jobs table and the index the claim query walks.
CREATE TABLE {schema}.jobs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    queue         text        NOT NULL DEFAULT 'default' CHECK (length(queue) BETWEEN 1 AND 128),
    state         text        NOT NULL DEFAULT 'available'
                  CHECK (state IN ('scheduled', 'available', 'running', 'retryable', 'completed', 'cancelled', 'discarded')),
    priority      smallint    NOT NULL DEFAULT 0,
    payload       jsonb       NOT NULL DEFAULT '{}',
    attempt       smallint    NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    max_attempts  smallint    NOT NULL DEFAULT 20 CHECK (max_attempts > 0),
    run_at        timestamptz NOT NULL DEFAULT now(),
    created_at    timestamptz NOT NULL DEFAULT now(),
    attempted_at  timestamptz,
    heartbeat_at  timestamptz,
    finalized_at  timestamptz,
    attempted_by  text,
    errors        jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(errors) = 'array'),
    metadata      jsonb       NOT NULL DEFAULT '{}',
    CHECK ((state IN ('completed', 'cancelled', 'discarded')) = (finalized_at IS NOT NULL))
);

-- The claim query: due jobs of one queue in priority, run_at, id order.
CREATE INDEX jobs_claim_idx ON {schema}.jobs (queue, priority, run_at, id) WHERE state = 'available';

-- Promotion of scheduled and retryable jobs whose time has come.
CREATE INDEX jobs_pending_idx ON {schema}.jobs (run_at) WHERE state IN ('scheduled', 'retryable');

-- Administration: listing by state and time.
CREATE INDEX jobs_state_idx ON {schema}.jobs (state, queue, id);
