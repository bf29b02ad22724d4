-- capa install script, part 87: management review snapshots -- the KPIs and
-- the open items frozen at one moment with a digest of the trail,
-- hash-chained and append-only -- and each snapshot beside the one before.

--
-- Management review snapshots (ISO 27001 9.3, 10.1): the KPIs and the open
-- items frozen at one moment, tied to a digest of the audit trail taken in
-- the same transaction, hash-chained snapshot to snapshot, append-only.
--
CREATE TABLE @extschema@.review_snapshot (
    id              bigserial PRIMARY KEY,
    -- [:space:], not capa_blank (the fill trigger's rule): a restored
    -- snapshot loads as it was taken
    label           text NOT NULL CHECK (label OPERATOR(pg_catalog.~) '[^[:space:]]'),
    taken_at        timestamptz NOT NULL,
    taken_by        name NOT NULL,
    app_user        text,
    kpis            jsonb NOT NULL,
    monthly         jsonb NOT NULL,
    breakdowns      jsonb NOT NULL,
    open_items      jsonb NOT NULL,
    digest          text NOT NULL,
    digest_id       bigint NOT NULL,
    prev_hash       bytea,
    content_hash    bytea NOT NULL
);
COMMENT ON TABLE @extschema@.review_snapshot IS
    'management review snapshots: kpi_summary, kpi_monthly, breakdowns and the open items at taken_at, with the capa_digest() of that moment; append-only, hash-chained (prev_hash, content_hash); take one with capa_review_snapshot(label)';
COMMENT ON COLUMN @extschema@.review_snapshot.kpis IS 'the row of capa.kpi_summary, whole';
COMMENT ON COLUMN @extschema@.review_snapshot.monthly IS 'the rows of capa.kpi_monthly, whole, oldest month first';
COMMENT ON COLUMN @extschema@.review_snapshot.breakdowns IS 'rows of capa.kpi_by_severity, kpi_by_source and kpi_by_cause (Pareto of causes)';
COMMENT ON COLUMN @extschema@.review_snapshot.open_items IS 'the records open at taken_at (ref, kind, severity, state, title, owner, org unit, due dates, overdue flag, days open, action items pending)';
COMMENT ON COLUMN @extschema@.review_snapshot.digest IS 'the capa_digest() taken in the same transaction, before the KPIs were read: the trail state the snapshot describes';
COMMENT ON COLUMN @extschema@.review_snapshot.content_hash IS 'capa_review_snapshot_hash(row): SHA-256 over the snapshot''s content and prev_hash';
COMMENT ON COLUMN @extschema@.review_snapshot.prev_hash IS 'content_hash of the previous snapshot; NULL for the first';
CREATE UNIQUE INDEX review_snapshot_chain_idx ON @extschema@.review_snapshot (prev_hash) NULLS NOT DISTINCT;

-- What content_hash covers: a jsonb document of every column but the hash
-- itself, taken_at as microseconds since 1970 (UTC), prev_hash as hex; its
-- text form (jsonb's, which no setting changes) in UTF-8, hashed with SHA-256
CREATE FUNCTION @extschema@.capa_review_snapshot_hash(s @extschema@.review_snapshot) RETURNS bytea
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.jsonb_build_object(
        'v', 1, 'id', s.id, 'label', s.label,
        'taken_at', (EXTRACT(epoch FROM s.taken_at) OPERATOR(pg_catalog.*) 1000000)::bigint,
        'taken_by', s.taken_by, 'app_user', s.app_user,
        'kpis', s.kpis, 'monthly', s.monthly, 'breakdowns', s.breakdowns, 'open_items', s.open_items,
        'digest', s.digest, 'digest_id', s.digest_id,
        'prev_hash', pg_catalog.encode(s.prev_hash, 'hex'))::text, 'UTF8'));
COMMENT ON FUNCTION @extschema@.capa_review_snapshot_hash(@extschema@.review_snapshot) IS
    'the SHA-256 a review snapshot''s content_hash must equal: over every column but content_hash (and the previous snapshot''s hash)';

-- One review snapshot at a time (the fill trigger below takes this turn):
-- an object lock no SQL command takes, for capa_admin only
CREATE FUNCTION @extschema@.capa_review_snapshot_turn() RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_review_snapshot_turn() IS
    'waits for, and holds to the end of the transaction, the turn to take a review snapshot (so each links to the one before); a lock no other role can take';
GRANT EXECUTE ON FUNCTION @extschema@.capa_review_snapshot_turn() TO capa_admin;

-- Fills a new snapshot: everything but the label is computed here, as the
-- inserting role (SECURITY INVOKER), so it reads only what that role may
CREATE FUNCTION @extschema@.capa_review_snapshot_fill() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $fill$
BEGIN
    IF NEW.content_hash IS NOT NULL THEN
        -- a restored row (pg_restore; only the owner may write this column):
        -- taken as it is, if its content still gives its hash
        IF @extschema@.capa_review_snapshot_hash(NEW) OPERATOR(pg_catalog.<>) NEW.content_hash THEN
            RAISE EXCEPTION 'review snapshot % does not match its content_hash', NEW.id
                USING ERRCODE = 'data_corrupted';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.label IS NULL THEN
        RAISE EXCEPTION 'a review snapshot needs a label' USING ERRCODE = 'not_null_violation',
            COLUMN = 'label';
    END IF;
    IF @extschema@.capa_blank(NEW.label) THEN
        RAISE EXCEPTION 'the label of a review snapshot must not be blank' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- one snapshot at a time, so each links to the one before: a turn no
    -- other role can take (an advisory lock on a known key, as 0.2.0 used,
    -- any role could hold for as long as it liked; src/snapshot_turn.c)
    PERFORM @extschema@.capa_review_snapshot_turn();
    -- the digest first: it waits for the audit writers in flight and holds
    -- new ones back until this transaction ends, so the KPIs read below
    -- (each statement a new snapshot at READ COMMITTED) describe exactly the
    -- trail the digest covers
    NEW.digest := @extschema@.capa_digest();
    SELECT pg_catalog.max(d.id) INTO NEW.digest_id FROM @extschema@.digest d
     WHERE d.digest OPERATOR(pg_catalog.=) NEW.digest;
    NEW.taken_at := pg_catalog.now();
    NEW.taken_by := CURRENT_USER;
    NEW.app_user := NULLIF(pg_catalog.current_setting('capa.app_user', true), '');
    SELECT pg_catalog.to_jsonb(k) INTO NEW.kpis FROM @extschema@.kpi_summary k;
    SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(m) ORDER BY m.month), '[]'::jsonb)
      INTO NEW.monthly FROM @extschema@.kpi_monthly m;
    NEW.breakdowns := pg_catalog.jsonb_build_object(
        'by_severity', (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(b) ORDER BY b.severity), '[]'::jsonb)
                          FROM @extschema@.kpi_by_severity b),
        'by_source', (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(b) ORDER BY b.records DESC, b.source), '[]'::jsonb)
                        FROM @extschema@.kpi_by_source b),
        'by_cause', (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(b) ORDER BY b.records DESC, b.cause_category), '[]'::jsonb)
                       FROM @extschema@.kpi_by_cause b));
    SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'id', r.id, 'kind', r.kind, 'severity', r.severity, 'state', r.state, 'title', r.title,
               'owner', r.owner, 'org_unit', r.org_unit, 'opened_at', r.opened_at,
               'contain_due', r.contain_due, 'close_due', r.close_due, 'effectiveness_due', r.effectiveness_due,
               'overdue', k.is_overdue,
               'days_open', pg_catalog.round(EXTRACT(epoch FROM NEW.taken_at OPERATOR(pg_catalog.-) r.opened_at)
                                             OPERATOR(pg_catalog./) 86400, 1),
               'actions_pending', (SELECT pg_catalog.count(*) FROM @extschema@.action a
                                    WHERE a.capa_id OPERATOR(@extschema@.=) r.id AND NOT a.done),
               'reopen_count', r.reopen_count, 'ineffective_count', r.ineffective_count)
               ORDER BY r.id), '[]'::jsonb)
      INTO NEW.open_items
      FROM @extschema@.register r
      JOIN @extschema@.kpi_record k ON k.id OPERATOR(@extschema@.=) r.id
     -- open by the rules (src/rules.c, [facts]), as kpi_record''s is_open
     WHERE @extschema@.capa_state_open(r.state);
    SELECT s.content_hash INTO NEW.prev_hash FROM @extschema@.review_snapshot s ORDER BY s.id DESC LIMIT 1;
    NEW.content_hash := @extschema@.capa_review_snapshot_hash(NEW);
    RETURN NEW;
END
$fill$;
COMMENT ON FUNCTION @extschema@.capa_review_snapshot_fill() IS
    'fills a new capa.review_snapshot row (digest, KPIs, open items, hash chain) as the inserting role; a restored row is checked against its hash';
CREATE TRIGGER capa_fill BEFORE INSERT ON @extschema@.review_snapshot
    FOR EACH ROW EXECUTE FUNCTION @extschema@.capa_review_snapshot_fill();
CREATE TRIGGER capa_append_only BEFORE UPDATE OR DELETE ON @extschema@.review_snapshot
    FOR EACH ROW EXECUTE FUNCTION @extschema@.capa_audit_guard();
CREATE TRIGGER capa_no_truncate BEFORE TRUNCATE ON @extschema@.review_snapshot
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.capa_audit_guard();
ALTER TABLE @extschema@.review_snapshot ENABLE ALWAYS TRIGGER capa_append_only;
ALTER TABLE @extschema@.review_snapshot ENABLE ALWAYS TRIGGER capa_no_truncate;

-- The snapshot's digest holds audit writers back while its KPIs are read
-- (capa_digest, src/audit/digest.c); this trigger gives them back at the end of
-- the INSERT.
CREATE FUNCTION @extschema@.capa_digest_release() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_digest_release() IS
    'AFTER INSERT statement trigger of capa.review_snapshot: gives back the SHARE lock on capa.audit that the snapshots'' digests took, so no writer waits for the snapshot''s transaction to end';
CREATE TRIGGER capa_digest_release AFTER INSERT ON @extschema@.review_snapshot
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.capa_digest_release();

CREATE FUNCTION @extschema@.capa_review_snapshot(label text) RETURNS bigint
    LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $snapshot$
    INSERT INTO @extschema@.review_snapshot (label) VALUES (capa_review_snapshot.label) RETURNING id
$snapshot$;
COMMENT ON FUNCTION @extschema@.capa_review_snapshot(text) IS
    'freezes the KPIs and the open items now, with a capa_digest(), into capa.review_snapshot; returns its id. Run it in a READ COMMITTED transaction of its own';

-- Each snapshot beside the one before: the main KPIs with their change,
-- the open items that appeared and went, every numeric KPI's change in
-- deltas (columns added to kpi_summary later are compared too), and
-- whether the snapshot still gives its hash and links to the one before.
-- IS NOT DISTINCT FROM takes its = from the search_path, and no syntax
-- qualifies it: the view is made with pg_catalog alone on the path (as
-- CREATE EXTENSION searches pg_catalog first), and the path put back after.
DO $comparison$
DECLARE
    saved_path text := pg_catalog.current_setting('search_path');
BEGIN
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    CREATE VIEW @extschema@.review_comparison WITH (security_invoker = true) AS
    SELECT s.id, s.label, s.taken_at, s.taken_by,
           p.id AS prev_id, p.label AS prev_label, p.taken_at AS prev_taken_at,
           pg_catalog.round(EXTRACT(epoch FROM s.taken_at OPERATOR(pg_catalog.-) p.taken_at) OPERATOR(pg_catalog./) 86400, 1) AS days_between,
           v.open_total, v.open_total OPERATOR(pg_catalog.-) w.open_total AS open_total_delta,
           v.open_critical, v.open_critical OPERATOR(pg_catalog.-) w.open_critical AS open_critical_delta,
           v.open_major, v.open_major OPERATOR(pg_catalog.-) w.open_major AS open_major_delta,
           v.overdue_total, v.overdue_total OPERATOR(pg_catalog.-) w.overdue_total AS overdue_total_delta,
           v.overdue_actions, v.overdue_actions OPERATOR(pg_catalog.-) w.overdue_actions AS overdue_actions_delta,
           v.closed_total OPERATOR(pg_catalog.-) w.closed_total AS closed_between,
           v.reopened_total OPERATOR(pg_catalog.-) w.reopened_total AS reopened_between,
           v.mean_days_to_contain, v.mean_days_to_contain OPERATOR(pg_catalog.-) w.mean_days_to_contain AS mean_days_to_contain_delta,
           v.mean_days_to_close, v.mean_days_to_close OPERATOR(pg_catalog.-) w.mean_days_to_close AS mean_days_to_close_delta,
           v.median_days_to_close, v.median_days_to_close OPERATOR(pg_catalog.-) w.median_days_to_close AS median_days_to_close_delta,
           v.on_time_closure_rate, v.on_time_closure_rate OPERATOR(pg_catalog.-) w.on_time_closure_rate AS on_time_closure_rate_delta,
           v.first_time_effective_rate, v.first_time_effective_rate OPERATOR(pg_catalog.-) w.first_time_effective_rate AS first_time_effective_rate_delta,
           v.reopen_rate, v.reopen_rate OPERATOR(pg_catalog.-) w.reopen_rate AS reopen_rate_delta,
           v.recurrence_rate, v.recurrence_rate OPERATOR(pg_catalog.-) w.recurrence_rate AS recurrence_rate_delta,
           v.improvements_open, v.improvements_open OPERATOR(pg_catalog.-) w.improvements_open AS improvements_open_delta,
           v.improvements_closed_12m, v.improvements_closed_12m OPERATOR(pg_catalog.-) w.improvements_closed_12m AS improvements_closed_12m_delta,
           (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_array_elements(s.open_items) o
             WHERE p.id IS NOT NULL
               AND NOT p.open_items OPERATOR(pg_catalog.@>) pg_catalog.jsonb_build_array(
                       pg_catalog.jsonb_build_object('id', o OPERATOR(pg_catalog.->) 'id'))) AS open_items_new,
           (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_array_elements(p.open_items) o
             WHERE NOT s.open_items OPERATOR(pg_catalog.@>) pg_catalog.jsonb_build_array(
                       pg_catalog.jsonb_build_object('id', o OPERATOR(pg_catalog.->) 'id'))) AS open_items_gone,
           (SELECT pg_catalog.jsonb_object_agg(e.key,
                       (e.value OPERATOR(pg_catalog.#>>) '{}')::numeric OPERATOR(pg_catalog.-)
                       (p.kpis OPERATOR(pg_catalog.->>) e.key)::numeric)
              FROM pg_catalog.jsonb_each(s.kpis) e
             WHERE pg_catalog.jsonb_typeof(e.value) OPERATOR(pg_catalog.=) 'number'
               AND pg_catalog.jsonb_typeof(p.kpis OPERATOR(pg_catalog.->) e.key) OPERATOR(pg_catalog.=) 'number') AS deltas,
           @extschema@.capa_review_snapshot_hash(s) OPERATOR(pg_catalog.=) s.content_hash AS hash_ok,
           s.prev_hash IS NOT DISTINCT FROM p.content_hash AS link_ok
      FROM @extschema@.review_snapshot s
      LEFT JOIN LATERAL (SELECT q.* FROM @extschema@.review_snapshot q
                          WHERE q.id OPERATOR(pg_catalog.<) s.id ORDER BY q.id DESC LIMIT 1) p ON true
      CROSS JOIN LATERAL pg_catalog.jsonb_to_record(s.kpis) AS v(
           open_total bigint, open_critical bigint, open_major bigint, overdue_total bigint, overdue_actions bigint,
           closed_total bigint, reopened_total bigint, mean_days_to_contain numeric, mean_days_to_close numeric,
           median_days_to_close numeric, on_time_closure_rate numeric, first_time_effective_rate numeric,
           reopen_rate numeric, recurrence_rate numeric, improvements_open bigint, improvements_closed_12m bigint)
      LEFT JOIN LATERAL pg_catalog.jsonb_to_record(p.kpis) AS w(
           open_total bigint, open_critical bigint, open_major bigint, overdue_total bigint, overdue_actions bigint,
           closed_total bigint, reopened_total bigint, mean_days_to_contain numeric, mean_days_to_close numeric,
           median_days_to_close numeric, on_time_closure_rate numeric, first_time_effective_rate numeric,
           reopen_rate numeric, recurrence_rate numeric, improvements_open bigint, improvements_closed_12m bigint) ON true;
    PERFORM pg_catalog.set_config('search_path', saved_path, true);
END
$comparison$;
COMMENT ON VIEW @extschema@.review_comparison IS
    'each review snapshot beside the previous one: main KPIs with deltas, open items new and gone, deltas of every numeric KPI, hash_ok and link_ok';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.review_snapshot', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.review_snapshot_id_seq', '');

-- append-only for its owner too (the triggers are the second lock)
REVOKE UPDATE, DELETE, TRUNCATE ON @extschema@.review_snapshot FROM CURRENT_USER;
GRANT SELECT ON @extschema@.review_snapshot, @extschema@.review_comparison TO capa_reader;
GRANT EXECUTE ON FUNCTION @extschema@.capa_review_snapshot_hash(@extschema@.review_snapshot) TO capa_reader;
-- the ISMS manager takes snapshots: only the label is theirs to give
GRANT EXECUTE ON FUNCTION @extschema@.capa_review_snapshot(text) TO capa_admin;
GRANT INSERT (label) ON @extschema@.review_snapshot TO capa_admin;
GRANT USAGE ON SEQUENCE @extschema@.review_snapshot_id_seq TO capa_admin;
