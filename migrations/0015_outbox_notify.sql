-- Idle outbox workers sleep until woken (issue 19): every statement that queues deliveries
-- notifies `voisinage_outbox`, so a worker in any daemon wakes at once, and an idle daemon
-- does not poll the table several times a second. Notifications are sent at commit (none
-- for a rolled-back queue) and PostgreSQL folds identical ones of a transaction into one.
CREATE FUNCTION voisinage_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('voisinage_outbox', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER deliveries_queued AFTER INSERT ON deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION voisinage_outbox_notify();
