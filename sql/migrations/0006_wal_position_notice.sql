-- The primary's WAL insert position, sent as a notice. Sent in the same message as a write's
-- COMMIT (`COMMIT; SELECT storefront_notice_wal_position()`), it gives the position after
-- the commit record (what a replica must have replayed to show the write) without a round
-- trip of its own: a result row of a multi-statement message is dropped by the driver, a
-- notice is not. A function, not a DO block: PL/pgSQL compiles it once per session.

CREATE FUNCTION storefront_notice_wal_position() RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE NOTICE USING MESSAGE = 'storefront wal position '
        || (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint;
END
$$;
