-- The reference verifier in plain SQL (verifier/capa_reference_verify.sql)
-- agrees with capa's C code byte for byte, and finds tampering in an export.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
\set ECHO none
\i verifier/capa_reference_verify.sql
\set ECHO all
RESET client_min_messages;
-- evidence items (0.5.0): attach and withdraw_attachment rows are in the
-- trail compared, and the stored files are checked against it
SELECT capa.capa_attach(capa.min(id), 'Evidence file', content => convert_to('evidence', 'UTF8')) AS attached
  FROM capa.register \gset
SELECT capa.capa_attach(capa.min(id), 'Kept elsewhere', sha256 => sha256('elsewhere'::bytea), uri => 'dms://1') > 0 AS attached
  FROM capa.register;
SELECT capa.capa_attach(capa.max(id), 'Second file', content => convert_to('second', 'UTF8')) > 0 AS attached
  FROM capa.register;
SELECT capa.capa_withdraw_attachment(:attached, 'the wrong file');
INSERT INTO capa_check.audit_export
SELECT seq, capa_id::text, action_id, chain_seq, step, from_state::text, to_state::text,
       changed, actor::text, session_actor::text, app_user, application_name,
       host(client_addr), xid::text::bigint, at, row_hash, prev_hash, hash, encoding
  FROM capa.audit;
-- the same bytes as capa_audit_bytes(seq), for every row
SELECT count(*) AS rows,
       count(*) FILTER (WHERE capa_check.audit_bytes(e) = capa.capa_audit_bytes(e.seq)) AS same_bytes
  FROM capa_check.audit_export e;
SELECT count(*) AS problems FROM capa_check.verify('capa_check.audit_export');
-- the stored files give the SHA-256 their attach rows recorded
INSERT INTO capa_check.attachment_export SELECT id, content FROM capa.attachment WHERE content IS NOT NULL;
SELECT count(*) AS files FROM capa_check.attachment_export;
SELECT count(*) AS problems FROM capa_check.verify_attachments('capa_check.audit_export', 'capa_check.attachment_export');
UPDATE capa_check.attachment_export SET content = convert_to('evidencE', 'UTF8') WHERE id = :attached;
SELECT problem, attachment = :attached AS the_changed_file
  FROM capa_check.verify_attachments('capa_check.audit_export', 'capa_check.attachment_export');
-- tampering with the export is found
CREATE TEMP TABLE touched AS
SELECT (SELECT seq FROM capa_check.audit_export WHERE chain_seq = 2 ORDER BY seq LIMIT 1) AS edited,
       (SELECT e.seq FROM capa_check.audit_export e WHERE e.chain_seq = 2
           AND EXISTS (SELECT FROM capa_check.audit_export n WHERE n.capa_id = e.capa_id
                       AND n.action_id IS NOT DISTINCT FROM e.action_id AND n.chain_seq = 3)
         ORDER BY e.seq OFFSET 1 LIMIT 1) AS removed;
UPDATE capa_check.audit_export SET actor = 'mallory' WHERE seq = (SELECT edited FROM touched);
DELETE FROM capa_check.audit_export WHERE seq = (SELECT removed FROM touched);
SELECT v.problem, CASE WHEN v.seq = t.edited THEN 'the edited row'
                       ELSE 'the row after the removed one' END AS at_row
  FROM capa_check.verify('capa_check.audit_export') v, touched t ORDER BY 2, 1;
SET client_min_messages = warning;
DROP SCHEMA capa_check CASCADE;
RESET client_min_messages;
