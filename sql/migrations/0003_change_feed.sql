-- The change feed: a transactional outbox filled by triggers, so every write path of every
-- document records its events in the writer's own transaction (a rollback records nothing).
--
-- A position is (xid, seq): the writing transaction's id and a sequence number. Readers read
-- only below the oldest transaction still in flight (pg_snapshot_xmin of their snapshot): any
-- transaction that commits later has an xid at or above that horizon, hence above every
-- position already read, so no event ever appears behind a position a reader passed.

CREATE SEQUENCE change_events_seq AS bigint;

CREATE TABLE change_events (
    xid        xid8        NOT NULL DEFAULT pg_current_xact_id(),
    seq        bigint      NOT NULL DEFAULT nextval('change_events_seq'),
    kind       text        NOT NULL,
    table_name text        NOT NULL,
    id         uuid        NOT NULL,
    rev        integer     NOT NULL,
    owner_id   uuid,
    at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    fields     text[]      NOT NULL,
    CONSTRAINT change_events_pkey PRIMARY KEY (xid, seq),
    CONSTRAINT change_events_kind_check
        CHECK (kind IN ('CREATED', 'UPDATED', 'DELETED', 'RESTORED'))
);
ALTER SEQUENCE change_events_seq OWNED BY change_events.seq;

-- What pruning removed last: a cursor at or below it can no longer be resumed from.
CREATE TABLE change_events_pruned (
    only_row boolean NOT NULL DEFAULT true,
    xid      xid8    NOT NULL,
    seq      bigint  NOT NULL,
    CONSTRAINT change_events_pruned_pkey PRIMARY KEY (only_row),
    CONSTRAINT change_events_pruned_only_row_check CHECK (only_row)
);

-- TG_ARGV[0]: the column naming the owning customer ('' when the table has none).
CREATE FUNCTION record_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    new_doc jsonb := to_jsonb(NEW);
    old_doc jsonb;
    change  text;
    changed text[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        change := 'CREATED';
        SELECT coalesce(array_agg(key ORDER BY key), '{}') INTO changed
        FROM jsonb_object_keys(new_doc) AS key
        WHERE key NOT IN ('rev', 'updated_at', 'search');
    ELSE
        old_doc := to_jsonb(OLD);
        SELECT coalesce(array_agg(n.key ORDER BY n.key), '{}') INTO changed
        FROM jsonb_each(new_doc) AS n
        WHERE n.key NOT IN ('rev', 'updated_at', 'search')
          AND n.value IS DISTINCT FROM old_doc -> n.key;
        IF changed = '{}' AND NEW.rev = OLD.rev THEN
            RETURN NULL;  -- nothing a reader could see changed
        END IF;
        change := CASE
            WHEN OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL THEN 'DELETED'
            WHEN OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL THEN 'RESTORED'
            ELSE 'UPDATED'
        END;
    END IF;
    INSERT INTO change_events (kind, table_name, id, rev, owner_id, fields)
    VALUES (
        change, TG_TABLE_NAME, NEW.id, NEW.rev,
        CASE WHEN TG_ARGV[0] <> '' THEN (new_doc ->> TG_ARGV[0])::uuid END,
        changed
    );
    -- Identical notifications of one transaction are folded into one, sent at commit.
    PERFORM pg_notify('storefront_changes', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER customers_record_change AFTER INSERT OR UPDATE ON customers
    FOR EACH ROW EXECUTE FUNCTION record_change('id');
CREATE TRIGGER categories_record_change AFTER INSERT OR UPDATE ON categories
    FOR EACH ROW EXECUTE FUNCTION record_change('');
CREATE TRIGGER products_record_change AFTER INSERT OR UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION record_change('');
CREATE TRIGGER orders_record_change AFTER INSERT OR UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION record_change('customer_id');
