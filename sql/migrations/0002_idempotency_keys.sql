-- Idempotency keys: a mutation retried with the same key returns the first result.
-- The key row is written in the same transaction as the mutation's own writes, so a key
-- exists exactly when its result does; a concurrent retry blocks on the primary key until
-- the first transaction ends, then reads what it stored.
CREATE TABLE idempotency_keys (
    operation    text        NOT NULL,
    key          text        NOT NULL,
    request_hash text        NOT NULL,
    response     jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (operation, key),
    CONSTRAINT idempotency_keys_key_check CHECK (length(key) BETWEEN 1 AND 200)
);
CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);
