-- Single connection mode of GraphQL over Server-Sent Events: a reserved stream and the
-- operations sent to it. They live here, not in one process's memory, because the stream
-- and the requests that drive it may reach different server processes; the process that
-- holds a stream learns of changes to its operations by NOTIFY.

CREATE TABLE event_streams (
    token_hash  bytea       NOT NULL,  -- SHA-256 of the token: the token itself is not kept
    role        text        NOT NULL,
    customer_id uuid,
    expires_at  timestamptz,           -- when the reserving bearer token expires
    holder      uuid,                  -- the process serving its stream; null until connected
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT event_streams_pkey PRIMARY KEY (token_hash)
);

CREATE TABLE event_stream_operations (
    token_hash   bytea NOT NULL,
    operation_id text  NOT NULL,
    request      jsonb NOT NULL,  -- query, operationName, variables, extensions
    CONSTRAINT event_stream_operations_pkey PRIMARY KEY (token_hash, operation_id),
    CONSTRAINT event_stream_operations_stream_fkey FOREIGN KEY (token_hash)
        REFERENCES event_streams (token_hash) ON DELETE CASCADE
);
