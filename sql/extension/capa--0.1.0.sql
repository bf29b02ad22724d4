-- capa 0.1.0: install script
\echo Use "CREATE EXTENSION capa" to load this file. \quit

--
-- Group roles.  Roles are cluster-wide: another database may have made them.
-- Nothing is ever granted to PUBLIC.
--
DO $roles$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['capa_reader', 'capa_editor', 'capa_verifier', 'capa_admin'] LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) r) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END
$roles$;
GRANT capa_reader TO capa_editor, capa_verifier;
GRANT capa_editor, capa_verifier TO capa_admin;

--
-- Types.  Each is a C base type with text and binary I/O; comparison and
-- hashing reuse core's integer support (the stored value is a stable code
-- or a packed reference whose integer order is the type's order).
--

-- capa_state: the lifecycle states, in lifecycle order
CREATE TYPE @extschema@.capa_state;
CREATE FUNCTION @extschema@.capa_state_in(cstring) RETURNS @extschema@.capa_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.capa_state_out(@extschema@.capa_state) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.capa_state_recv(internal) RETURNS @extschema@.capa_state
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.capa_state_send(@extschema@.capa_state) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.capa_state (
    INPUT = @extschema@.capa_state_in, OUTPUT = @extschema@.capa_state_out,
    RECEIVE = @extschema@.capa_state_recv, SEND = @extschema@.capa_state_send,
    LIKE = pg_catalog.int2, CATEGORY = 'E');
COMMENT ON TYPE @extschema@.capa_state IS
    'lifecycle state of a capa record: open < contained < analysed < planned < implemented < verified < closed < cancelled';

-- capa_severity: observation < minor < major < critical
CREATE TYPE @extschema@.capa_severity;
CREATE FUNCTION @extschema@.capa_severity_in(cstring) RETURNS @extschema@.capa_severity
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.capa_severity_out(@extschema@.capa_severity) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.capa_severity_recv(internal) RETURNS @extschema@.capa_severity
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.capa_severity_send(@extschema@.capa_severity) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.capa_severity (
    INPUT = @extschema@.capa_severity_in, OUTPUT = @extschema@.capa_severity_out,
    RECEIVE = @extschema@.capa_severity_recv, SEND = @extschema@.capa_severity_send,
    LIKE = pg_catalog.int2, CATEGORY = 'E');
COMMENT ON TYPE @extschema@.capa_severity IS
    'severity of a nonconformity: observation < minor < major < critical';

-- capa_ref: CAPA-YYYY-NNNNNN, 8 bytes
CREATE TYPE @extschema@.capa_ref;
CREATE FUNCTION @extschema@.capa_ref_in(cstring) RETURNS @extschema@.capa_ref
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.capa_ref_out(@extschema@.capa_ref) RETURNS cstring
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.capa_ref_recv(internal) RETURNS @extschema@.capa_ref
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.capa_ref_send(@extschema@.capa_ref) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.capa_ref (
    INPUT = @extschema@.capa_ref_in, OUTPUT = @extschema@.capa_ref_out,
    RECEIVE = @extschema@.capa_ref_recv, SEND = @extschema@.capa_ref_send,
    LIKE = pg_catalog.int8, CATEGORY = 'U');
COMMENT ON TYPE @extschema@.capa_ref IS
    'reference of a capa record, CAPA-YYYY-NNNNNN: unique, sorted by year then number, 8 bytes';

CREATE FUNCTION @extschema@.capa_ref(year integer, number bigint) RETURNS @extschema@.capa_ref
    AS 'MODULE_PATHNAME', 'capa_ref_make' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.capa_ref(integer, bigint) IS 'builds a reference from its year and number';
CREATE FUNCTION @extschema@.capa_ref_year(@extschema@.capa_ref) RETURNS integer
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.capa_ref_year(@extschema@.capa_ref) IS 'the year of a reference';
CREATE FUNCTION @extschema@.capa_ref_number(@extschema@.capa_ref) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.capa_ref_number(@extschema@.capa_ref) IS 'the number of a reference';

--
-- Comparison: core's int2/int8 functions, full operator metadata, btree and
-- hash operator classes.  The same block per type.
--
CREATE FUNCTION @extschema@.capa_state_eq(@extschema@.capa_state, @extschema@.capa_state) RETURNS boolean AS 'int2eq' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_state_ne(@extschema@.capa_state, @extschema@.capa_state) RETURNS boolean AS 'int2ne' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_state_lt(@extschema@.capa_state, @extschema@.capa_state) RETURNS boolean AS 'int2lt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_state_le(@extschema@.capa_state, @extschema@.capa_state) RETURNS boolean AS 'int2le' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_state_gt(@extschema@.capa_state, @extschema@.capa_state) RETURNS boolean AS 'int2gt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_state_ge(@extschema@.capa_state, @extschema@.capa_state) RETURNS boolean AS 'int2ge' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_state_cmp(@extschema@.capa_state, @extschema@.capa_state) RETURNS integer AS 'btint2cmp' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_state_hash(@extschema@.capa_state) RETURNS integer AS 'hashint2' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_state_hash_extended(@extschema@.capa_state, bigint) RETURNS bigint AS 'hashint2extended' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE OPERATOR @extschema@.= (LEFTARG = @extschema@.capa_state, RIGHTARG = @extschema@.capa_state, PROCEDURE = @extschema@.capa_state_eq,
    COMMUTATOR = OPERATOR(@extschema@.=), NEGATOR = OPERATOR(@extschema@.<>), RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, MERGES, HASHES);
CREATE OPERATOR @extschema@.<> (LEFTARG = @extschema@.capa_state, RIGHTARG = @extschema@.capa_state, PROCEDURE = @extschema@.capa_state_ne,
    COMMUTATOR = OPERATOR(@extschema@.<>), NEGATOR = OPERATOR(@extschema@.=), RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel);
CREATE OPERATOR @extschema@.< (LEFTARG = @extschema@.capa_state, RIGHTARG = @extschema@.capa_state, PROCEDURE = @extschema@.capa_state_lt,
    COMMUTATOR = OPERATOR(@extschema@.>), NEGATOR = OPERATOR(@extschema@.>=), RESTRICT = pg_catalog.scalarltsel, JOIN = pg_catalog.scalarltjoinsel);
CREATE OPERATOR @extschema@.<= (LEFTARG = @extschema@.capa_state, RIGHTARG = @extschema@.capa_state, PROCEDURE = @extschema@.capa_state_le,
    COMMUTATOR = OPERATOR(@extschema@.>=), NEGATOR = OPERATOR(@extschema@.>), RESTRICT = pg_catalog.scalarlesel, JOIN = pg_catalog.scalarlejoinsel);
CREATE OPERATOR @extschema@.> (LEFTARG = @extschema@.capa_state, RIGHTARG = @extschema@.capa_state, PROCEDURE = @extschema@.capa_state_gt,
    COMMUTATOR = OPERATOR(@extschema@.<), NEGATOR = OPERATOR(@extschema@.<=), RESTRICT = pg_catalog.scalargtsel, JOIN = pg_catalog.scalargtjoinsel);
CREATE OPERATOR @extschema@.>= (LEFTARG = @extschema@.capa_state, RIGHTARG = @extschema@.capa_state, PROCEDURE = @extschema@.capa_state_ge,
    COMMUTATOR = OPERATOR(@extschema@.<=), NEGATOR = OPERATOR(@extschema@.<), RESTRICT = pg_catalog.scalargesel, JOIN = pg_catalog.scalargejoinsel);

CREATE OPERATOR CLASS @extschema@.capa_state_ops DEFAULT FOR TYPE @extschema@.capa_state USING btree AS
    OPERATOR 1 @extschema@.<, OPERATOR 2 @extschema@.<=, OPERATOR 3 @extschema@.=,
    OPERATOR 4 @extschema@.>=, OPERATOR 5 @extschema@.>,
    FUNCTION 1 @extschema@.capa_state_cmp(@extschema@.capa_state, @extschema@.capa_state),
    FUNCTION 4 pg_catalog.btequalimage(oid);
CREATE OPERATOR CLASS @extschema@.capa_state_hash_ops DEFAULT FOR TYPE @extschema@.capa_state USING hash AS
    OPERATOR 1 @extschema@.=,
    FUNCTION 1 @extschema@.capa_state_hash(@extschema@.capa_state),
    FUNCTION 2 @extschema@.capa_state_hash_extended(@extschema@.capa_state, bigint);

CREATE FUNCTION @extschema@.capa_severity_eq(@extschema@.capa_severity, @extschema@.capa_severity) RETURNS boolean AS 'int2eq' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_severity_ne(@extschema@.capa_severity, @extschema@.capa_severity) RETURNS boolean AS 'int2ne' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_severity_lt(@extschema@.capa_severity, @extschema@.capa_severity) RETURNS boolean AS 'int2lt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_severity_le(@extschema@.capa_severity, @extschema@.capa_severity) RETURNS boolean AS 'int2le' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_severity_gt(@extschema@.capa_severity, @extschema@.capa_severity) RETURNS boolean AS 'int2gt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_severity_ge(@extschema@.capa_severity, @extschema@.capa_severity) RETURNS boolean AS 'int2ge' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_severity_cmp(@extschema@.capa_severity, @extschema@.capa_severity) RETURNS integer AS 'btint2cmp' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_severity_hash(@extschema@.capa_severity) RETURNS integer AS 'hashint2' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_severity_hash_extended(@extschema@.capa_severity, bigint) RETURNS bigint AS 'hashint2extended' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE OPERATOR @extschema@.= (LEFTARG = @extschema@.capa_severity, RIGHTARG = @extschema@.capa_severity, PROCEDURE = @extschema@.capa_severity_eq,
    COMMUTATOR = OPERATOR(@extschema@.=), NEGATOR = OPERATOR(@extschema@.<>), RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, MERGES, HASHES);
CREATE OPERATOR @extschema@.<> (LEFTARG = @extschema@.capa_severity, RIGHTARG = @extschema@.capa_severity, PROCEDURE = @extschema@.capa_severity_ne,
    COMMUTATOR = OPERATOR(@extschema@.<>), NEGATOR = OPERATOR(@extschema@.=), RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel);
CREATE OPERATOR @extschema@.< (LEFTARG = @extschema@.capa_severity, RIGHTARG = @extschema@.capa_severity, PROCEDURE = @extschema@.capa_severity_lt,
    COMMUTATOR = OPERATOR(@extschema@.>), NEGATOR = OPERATOR(@extschema@.>=), RESTRICT = pg_catalog.scalarltsel, JOIN = pg_catalog.scalarltjoinsel);
CREATE OPERATOR @extschema@.<= (LEFTARG = @extschema@.capa_severity, RIGHTARG = @extschema@.capa_severity, PROCEDURE = @extschema@.capa_severity_le,
    COMMUTATOR = OPERATOR(@extschema@.>=), NEGATOR = OPERATOR(@extschema@.>), RESTRICT = pg_catalog.scalarlesel, JOIN = pg_catalog.scalarlejoinsel);
CREATE OPERATOR @extschema@.> (LEFTARG = @extschema@.capa_severity, RIGHTARG = @extschema@.capa_severity, PROCEDURE = @extschema@.capa_severity_gt,
    COMMUTATOR = OPERATOR(@extschema@.<), NEGATOR = OPERATOR(@extschema@.<=), RESTRICT = pg_catalog.scalargtsel, JOIN = pg_catalog.scalargtjoinsel);
CREATE OPERATOR @extschema@.>= (LEFTARG = @extschema@.capa_severity, RIGHTARG = @extschema@.capa_severity, PROCEDURE = @extschema@.capa_severity_ge,
    COMMUTATOR = OPERATOR(@extschema@.<=), NEGATOR = OPERATOR(@extschema@.<), RESTRICT = pg_catalog.scalargesel, JOIN = pg_catalog.scalargejoinsel);

CREATE OPERATOR CLASS @extschema@.capa_severity_ops DEFAULT FOR TYPE @extschema@.capa_severity USING btree AS
    OPERATOR 1 @extschema@.<, OPERATOR 2 @extschema@.<=, OPERATOR 3 @extschema@.=,
    OPERATOR 4 @extschema@.>=, OPERATOR 5 @extschema@.>,
    FUNCTION 1 @extschema@.capa_severity_cmp(@extschema@.capa_severity, @extschema@.capa_severity),
    FUNCTION 4 pg_catalog.btequalimage(oid);
CREATE OPERATOR CLASS @extschema@.capa_severity_hash_ops DEFAULT FOR TYPE @extschema@.capa_severity USING hash AS
    OPERATOR 1 @extschema@.=,
    FUNCTION 1 @extschema@.capa_severity_hash(@extschema@.capa_severity),
    FUNCTION 2 @extschema@.capa_severity_hash_extended(@extschema@.capa_severity, bigint);

CREATE FUNCTION @extschema@.capa_ref_eq(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS boolean AS 'int8eq' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_ref_ne(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS boolean AS 'int8ne' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_ref_lt(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS boolean AS 'int8lt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_ref_le(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS boolean AS 'int8le' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_ref_gt(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS boolean AS 'int8gt' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_ref_ge(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS boolean AS 'int8ge' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_ref_cmp(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS integer AS 'btint8cmp' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_ref_sortsupport(internal) RETURNS void AS 'btint8sortsupport' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.capa_ref_hash(@extschema@.capa_ref) RETURNS integer AS 'hashint8' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_ref_hash_extended(@extschema@.capa_ref, bigint) RETURNS bigint AS 'hashint8extended' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

CREATE OPERATOR @extschema@.= (LEFTARG = @extschema@.capa_ref, RIGHTARG = @extschema@.capa_ref, PROCEDURE = @extschema@.capa_ref_eq,
    COMMUTATOR = OPERATOR(@extschema@.=), NEGATOR = OPERATOR(@extschema@.<>), RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel, MERGES, HASHES);
CREATE OPERATOR @extschema@.<> (LEFTARG = @extschema@.capa_ref, RIGHTARG = @extschema@.capa_ref, PROCEDURE = @extschema@.capa_ref_ne,
    COMMUTATOR = OPERATOR(@extschema@.<>), NEGATOR = OPERATOR(@extschema@.=), RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel);
CREATE OPERATOR @extschema@.< (LEFTARG = @extschema@.capa_ref, RIGHTARG = @extschema@.capa_ref, PROCEDURE = @extschema@.capa_ref_lt,
    COMMUTATOR = OPERATOR(@extschema@.>), NEGATOR = OPERATOR(@extschema@.>=), RESTRICT = pg_catalog.scalarltsel, JOIN = pg_catalog.scalarltjoinsel);
CREATE OPERATOR @extschema@.<= (LEFTARG = @extschema@.capa_ref, RIGHTARG = @extschema@.capa_ref, PROCEDURE = @extschema@.capa_ref_le,
    COMMUTATOR = OPERATOR(@extschema@.>=), NEGATOR = OPERATOR(@extschema@.>), RESTRICT = pg_catalog.scalarlesel, JOIN = pg_catalog.scalarlejoinsel);
CREATE OPERATOR @extschema@.> (LEFTARG = @extschema@.capa_ref, RIGHTARG = @extschema@.capa_ref, PROCEDURE = @extschema@.capa_ref_gt,
    COMMUTATOR = OPERATOR(@extschema@.<), NEGATOR = OPERATOR(@extschema@.<=), RESTRICT = pg_catalog.scalargtsel, JOIN = pg_catalog.scalargtjoinsel);
CREATE OPERATOR @extschema@.>= (LEFTARG = @extschema@.capa_ref, RIGHTARG = @extschema@.capa_ref, PROCEDURE = @extschema@.capa_ref_ge,
    COMMUTATOR = OPERATOR(@extschema@.<=), NEGATOR = OPERATOR(@extschema@.<), RESTRICT = pg_catalog.scalargesel, JOIN = pg_catalog.scalargejoinsel);

CREATE OPERATOR CLASS @extschema@.capa_ref_ops DEFAULT FOR TYPE @extschema@.capa_ref USING btree AS
    OPERATOR 1 @extschema@.<, OPERATOR 2 @extschema@.<=, OPERATOR 3 @extschema@.=,
    OPERATOR 4 @extschema@.>=, OPERATOR 5 @extschema@.>,
    FUNCTION 1 @extschema@.capa_ref_cmp(@extschema@.capa_ref, @extschema@.capa_ref),
    FUNCTION 2 @extschema@.capa_ref_sortsupport(internal),
    FUNCTION 4 pg_catalog.btequalimage(oid);
CREATE OPERATOR CLASS @extschema@.capa_ref_hash_ops DEFAULT FOR TYPE @extschema@.capa_ref USING hash AS
    OPERATOR 1 @extschema@.=,
    FUNCTION 1 @extschema@.capa_ref_hash(@extschema@.capa_ref),
    FUNCTION 2 @extschema@.capa_ref_hash_extended(@extschema@.capa_ref, bigint);

-- min() and max() of references: the oldest and newest record
CREATE FUNCTION @extschema@.capa_ref_smaller(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS @extschema@.capa_ref AS 'int8smaller' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.capa_ref_larger(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS @extschema@.capa_ref AS 'int8larger' LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE;
CREATE AGGREGATE @extschema@.min(@extschema@.capa_ref) (SFUNC = @extschema@.capa_ref_smaller, STYPE = @extschema@.capa_ref,
    SORTOP = OPERATOR(@extschema@.<), COMBINEFUNC = @extschema@.capa_ref_smaller, PARALLEL = SAFE);
CREATE AGGREGATE @extschema@.max(@extschema@.capa_ref) (SFUNC = @extschema@.capa_ref_larger, STYPE = @extschema@.capa_ref,
    SORTOP = OPERATOR(@extschema@.>), COMBINEFUNC = @extschema@.capa_ref_larger, PARALLEL = SAFE);

-- Casts to and from text (I/O conversion: the text form is the canonical one)
CREATE CAST (@extschema@.capa_state AS text) WITH INOUT AS ASSIGNMENT;
CREATE CAST (text AS @extschema@.capa_state) WITH INOUT;
CREATE CAST (@extschema@.capa_severity AS text) WITH INOUT AS ASSIGNMENT;
CREATE CAST (text AS @extschema@.capa_severity) WITH INOUT;
CREATE CAST (@extschema@.capa_ref AS text) WITH INOUT AS ASSIGNMENT;
CREATE CAST (text AS @extschema@.capa_ref) WITH INOUT;

--
-- Lookup tables.  Built-in rows are not dumped (the install script makes
-- them again); rows an administrator adds are.  Rows are only ever added:
-- records refer to them.
--
CREATE TABLE @extschema@.source (
    code        text PRIMARY KEY CHECK (code OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_]*$'),
    label       text NOT NULL,
    builtin     boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.source IS 'where nonconformities and opportunities come from; capa_admin may add rows';
INSERT INTO @extschema@.source (code, label, builtin) VALUES
    ('internal_audit', 'Internal audit', true),
    ('external_audit', 'External or certification audit', true),
    ('incident', 'Information security incident', true),
    ('management_review', 'Management review', true),
    ('monitoring', 'Monitoring and measurement', true),
    ('complaint', 'Complaint from an interested party', true),
    ('risk_assessment', 'Risk assessment', true),
    ('self_identified', 'Self-identified', true),
    ('other', 'Other', true);

CREATE TABLE @extschema@.cause_category (
    code        text PRIMARY KEY CHECK (code OPERATOR(pg_catalog.~) '^[a-z][a-z0-9_]*$'),
    label       text NOT NULL,
    builtin     boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.cause_category IS 'root-cause taxonomy for Pareto analysis; capa_admin may add rows';
INSERT INTO @extschema@.cause_category (code, label, builtin) VALUES
    ('people', 'People: awareness, competence, workload', true),
    ('process', 'Process or procedure unclear, missing or not followed', true),
    ('technology', 'Technology: configuration, failure, capacity', true),
    ('supplier', 'Supplier or third party', true),
    ('governance', 'Governance: roles, responsibilities, resources', true),
    ('environment', 'Physical or environmental', true),
    ('other', 'Other', true);

CREATE TABLE @extschema@.rca_method (
    code        text PRIMARY KEY CHECK (code OPERATOR(pg_catalog.~) '^[a-z0-9][a-z0-9_]*$'),
    label       text NOT NULL,
    builtin     boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.rca_method IS 'root-cause analysis methods; capa_admin may add rows';
INSERT INTO @extschema@.rca_method (code, label, builtin) VALUES
    ('5whys', '5 Whys', true),
    ('fishbone', 'Fishbone (Ishikawa) diagram', true),
    ('fault_tree', 'Fault tree analysis', true),
    ('other', 'Other', true);

--
-- Policies are versioned: a change is a new row, the latest row wins, and
-- the history shows when the policy changed and who changed it.
--
CREATE TABLE @extschema@.severity_policy (
    id                      bigserial PRIMARY KEY,
    severity                @extschema@.capa_severity NOT NULL,
    contain_within          interval,
    close_within            interval NOT NULL,
    effectiveness_within    interval NOT NULL,
    set_at                  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    set_by                  name NOT NULL DEFAULT CURRENT_USER,
    builtin                 boolean NOT NULL DEFAULT false,
    -- a due date is after the step that sets it, and within reach of a timestamp
    CONSTRAINT severity_policy_intervals_check CHECK (
        (contain_within IS NULL OR (contain_within OPERATOR(pg_catalog.>) '0'::interval
                                    AND contain_within OPERATOR(pg_catalog.<=) '100 years'::interval))
        AND close_within OPERATOR(pg_catalog.>) '0'::interval
        AND close_within OPERATOR(pg_catalog.<=) '100 years'::interval
        AND effectiveness_within OPERATOR(pg_catalog.>) '0'::interval
        AND effectiveness_within OPERATOR(pg_catalog.<=) '100 years'::interval)
);
COMMENT ON TABLE @extschema@.severity_policy IS
    'due dates by severity (latest row per severity wins): time to contain and to close from opening, time to check effectiveness from implementation';
CREATE INDEX ON @extschema@.severity_policy (severity, id);
INSERT INTO @extschema@.severity_policy (severity, contain_within, close_within, effectiveness_within, builtin) VALUES
    ('critical', '1 day', '30 days', '30 days', true),
    ('major', '7 days', '60 days', '60 days', true),
    ('minor', '30 days', '90 days', '90 days', true),
    ('observation', NULL, '180 days', '90 days', true);

CREATE TABLE @extschema@.policy (
    id                      bigserial PRIMARY KEY,
    segregation_of_duties   boolean NOT NULL,
    set_at                  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    set_by                  name NOT NULL DEFAULT CURRENT_USER,
    builtin                 boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.policy IS
    'capa policy switches (latest row wins); segregation_of_duties: the verifier owns neither the record nor its actions';
INSERT INTO @extschema@.policy (segregation_of_duties, builtin) VALUES (true, true);

--
-- The register
--
CREATE SEQUENCE @extschema@.register_number_seq AS bigint MINVALUE 1 MAXVALUE 999999999999;
COMMENT ON SEQUENCE @extschema@.register_number_seq IS 'numbers of new references (CAPA-YYYY-<number>)';

CREATE TABLE @extschema@.register (
    id                      @extschema@.capa_ref PRIMARY KEY,
    kind                    text NOT NULL DEFAULT 'corrective',
    state                   @extschema@.capa_state NOT NULL DEFAULT 'open',
    severity                @extschema@.capa_severity NOT NULL,
    -- integer, as capa_open takes it: any value outside 1-5 fails this CHECK (23514),
    -- none the cast to a narrower type first (22003)
    priority                integer CHECK (priority OPERATOR(pg_catalog.>=) 1 AND priority OPERATOR(pg_catalog.<=) 5),
    title                   text NOT NULL,
    description             text NOT NULL,
    source                  text NOT NULL REFERENCES @extschema@.source (code),
    owner                   text NOT NULL DEFAULT CURRENT_USER,
    org_unit                text,
    -- 10.2 a: react
    containment             text,
    consequences            text,
    -- 10.2 b: analyse
    root_cause              text,
    rca_method              text REFERENCES @extschema@.rca_method (code),
    extent_of_condition     text,
    cause_category          text REFERENCES @extschema@.cause_category (code),
    why_chain               text[],
    related                 @extschema@.capa_ref[],
    action_required         boolean,
    no_action_justification text,
    -- 10.2 d: effectiveness
    effective               boolean,
    verification_evidence   text,
    -- 10.2 e: ISMS changes
    isms_changes            text,
    cancel_reason           text,
    reopen_reason           text,
    -- due dates
    contain_due             timestamptz,
    close_due               timestamptz,
    effectiveness_due       timestamptz,
    -- step stamps, set by capa
    opened_at               timestamptz NOT NULL,
    opened_by               name NOT NULL,
    contained_at            timestamptz,
    contained_by            name,
    analysed_at             timestamptz,
    analysed_by             name,
    planned_at              timestamptz,
    planned_by              name,
    implemented_at          timestamptz,
    implemented_by          name,
    verified_at             timestamptz,
    verified_by             name,
    closed_at               timestamptz,
    closed_by               name,
    cancelled_at            timestamptz,
    cancelled_by            name,
    reopened_at             timestamptz,
    reopened_by             name,
    updated_at              timestamptz NOT NULL,
    -- counters, set by capa
    reopen_count            integer NOT NULL,
    ineffective_count       integer NOT NULL,
    chain_seq               integer NOT NULL,
    chain_head              bytea NOT NULL
);
COMMENT ON TABLE @extschema@.register IS
    'one row per nonconformity (corrective), potential nonconformity (preventive) or opportunity (improvement); the lifecycle is enforced by capa_register_trigger';
COMMENT ON COLUMN @extschema@.register.chain_seq IS 'number of audit rows of this record (its position in its audit chain)';
COMMENT ON COLUMN @extschema@.register.chain_head IS 'hash of the record''s latest audit row: the head of its chain';

CREATE TABLE @extschema@.action (
    id              bigserial PRIMARY KEY,
    capa_id         @extschema@.capa_ref NOT NULL REFERENCES @extschema@.register (id),
    description     text NOT NULL,
    owner           text NOT NULL,
    due             date NOT NULL,
    done            boolean NOT NULL DEFAULT false,
    evidence        text,
    done_at         timestamptz,
    done_by         name,
    created_at      timestamptz NOT NULL,
    created_by      name NOT NULL,
    updated_at      timestamptz NOT NULL,
    chain_seq       integer NOT NULL,
    chain_head      bytea NOT NULL
);
COMMENT ON TABLE @extschema@.action IS 'action items of a record (10.2 c), each with an owner, a due date and, once done, evidence';
-- (capa_id, id): a record's items, and the order capa_audit_verify() reads them in
CREATE INDEX action_chain_idx ON @extschema@.action (capa_id, id);

CREATE TABLE @extschema@.audit (
    seq             bigserial PRIMARY KEY,
    record_id       @extschema@.capa_ref NOT NULL,
    action_id       bigint,
    chain_seq       integer NOT NULL,
    step            text NOT NULL,
    from_state      @extschema@.capa_state,
    to_state        @extschema@.capa_state,
    changed         jsonb NOT NULL,
    actor           name NOT NULL,
    session_actor   name NOT NULL,
    app_user        text,
    application_name text,
    client_addr     inet,
    xid             xid8 NOT NULL,
    at              timestamptz NOT NULL,
    row_hash        bytea NOT NULL,
    prev_hash       bytea,
    hash            bytea NOT NULL,
    encoding        smallint NOT NULL
);
COMMENT ON TABLE @extschema@.audit IS
    'append-only trail: one row per change of a register or action row, written in the same transaction';
COMMENT ON COLUMN @extschema@.audit.actor IS 'effective role of the caller (honours SET ROLE)';
COMMENT ON COLUMN @extschema@.audit.session_actor IS 'session (login) role';
COMMENT ON COLUMN @extschema@.audit.app_user IS 'end user named by the application with SET capa.app_user: a claim, recorded next to the role';
COMMENT ON COLUMN @extschema@.audit.chain_seq IS 'position in the chain of the changed row (the record, or one action item)';
COMMENT ON COLUMN @extschema@.audit.row_hash IS 'SHA-256 of the changed row''s content after the change (row encoding 1)';
COMMENT ON COLUMN @extschema@.audit.prev_hash IS 'hash of the previous audit row of the same chain; NULL for the first';
COMMENT ON COLUMN @extschema@.audit.hash IS 'SHA-256 of capa_audit_bytes(seq), which covers prev_hash and row_hash';
COMMENT ON COLUMN @extschema@.audit.encoding IS 'version of the byte encoding the hash covers';
CREATE UNIQUE INDEX audit_chain_idx ON @extschema@.audit (record_id, action_id, chain_seq) NULLS NOT DISTINCT;

--
-- Triggers
--
CREATE FUNCTION @extschema@.capa_register_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.capa_register_trigger() IS 'enforces the lifecycle of capa.register and writes its audit rows';
CREATE TRIGGER capa_lifecycle BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.register
    FOR EACH ROW EXECUTE FUNCTION @extschema@.capa_register_trigger();

CREATE FUNCTION @extschema@.capa_action_trigger() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.capa_action_trigger() IS 'enforces the rules of capa.action and writes its audit rows';
CREATE TRIGGER capa_lifecycle BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.action
    FOR EACH ROW EXECUTE FUNCTION @extschema@.capa_action_trigger();

CREATE FUNCTION @extschema@.capa_audit_guard() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.capa_audit_guard() IS 'refuses UPDATE, DELETE and TRUNCATE of capa.audit';
CREATE TRIGGER capa_append_only BEFORE UPDATE OR DELETE ON @extschema@.audit
    FOR EACH ROW EXECUTE FUNCTION @extschema@.capa_audit_guard();
CREATE TRIGGER capa_no_truncate BEFORE TRUNCATE ON @extschema@.audit
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.capa_audit_guard();
ALTER TABLE @extschema@.audit ENABLE ALWAYS TRIGGER capa_append_only;
ALTER TABLE @extschema@.audit ENABLE ALWAYS TRIGGER capa_no_truncate;

CREATE FUNCTION @extschema@.capa_truncate_guard() RETURNS trigger
    AS 'MODULE_PATHNAME' LANGUAGE C;
COMMENT ON FUNCTION @extschema@.capa_truncate_guard() IS 'refuses TRUNCATE of capa.register and capa.action';
CREATE TRIGGER capa_no_truncate BEFORE TRUNCATE ON @extschema@.register
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.capa_truncate_guard();
CREATE TRIGGER capa_no_truncate BEFORE TRUNCATE ON @extschema@.action
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.capa_truncate_guard();
ALTER TABLE @extschema@.register ENABLE ALWAYS TRIGGER capa_no_truncate;
ALTER TABLE @extschema@.action ENABLE ALWAYS TRIGGER capa_no_truncate;

--
-- The API.  LANGUAGE C functions that run their statement as the owner of
-- these tables and record the caller (see src/api.c); search_path pinned.
--
CREATE FUNCTION @extschema@.capa_open(
    title text, description text, severity @extschema@.capa_severity, source text,
    kind text DEFAULT 'corrective', owner text DEFAULT CURRENT_USER,
    priority integer DEFAULT NULL, org_unit text DEFAULT NULL,
    contain_due timestamptz DEFAULT NULL, close_due timestamptz DEFAULT NULL)
    RETURNS @extschema@.capa_ref
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_open(text, text, @extschema@.capa_severity, text, text, text, integer, text, timestamptz, timestamptz) IS
    'records a nonconformity (corrective), a potential one (preventive) or an opportunity (improvement); due dates default from the severity policy';

CREATE FUNCTION @extschema@.capa_contain(id @extschema@.capa_ref, containment text, consequences text)
    RETURNS @extschema@.capa_state
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_contain(@extschema@.capa_ref, text, text) IS
    '10.2 a: the containment or correction taken and how the consequences were dealt with; open -> contained';

CREATE FUNCTION @extschema@.capa_analyse(id @extschema@.capa_ref, root_cause text, method text,
    extent_of_condition text DEFAULT NULL, cause_category text DEFAULT NULL,
    action_required boolean DEFAULT true, justification text DEFAULT NULL,
    why_chain text[] DEFAULT NULL, related @extschema@.capa_ref[] DEFAULT NULL)
    RETURNS @extschema@.capa_state
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_analyse(@extschema@.capa_ref, text, text, text, text, boolean, text, text[], @extschema@.capa_ref[]) IS
    '10.2 b: root cause, method, extent of condition (required for corrective), cause category, why-chain, related records; and whether action is required (if not, the justification)';

CREATE FUNCTION @extschema@.capa_add_action(id @extschema@.capa_ref, description text, owner text, due date)
    RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_add_action(@extschema@.capa_ref, text, text, date) IS
    '10.2 c: adds an action item with its owner and due date; returns its id';

CREATE FUNCTION @extschema@.capa_complete_action(action_id bigint, evidence text)
    RETURNS void
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_complete_action(bigint, text) IS
    'marks an action item done, with the evidence; completion is final';

CREATE FUNCTION @extschema@.capa_plan(id @extschema@.capa_ref)
    RETURNS @extschema@.capa_state
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_plan(@extschema@.capa_ref) IS
    '-> planned: needs at least one action item (and, after an analysis, that action is required)';

CREATE FUNCTION @extschema@.capa_implement(id @extschema@.capa_ref)
    RETURNS @extschema@.capa_state
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_implement(@extschema@.capa_ref) IS
    'planned -> implemented: every action item done; the effectiveness check falls due per the severity policy';

CREATE FUNCTION @extschema@.capa_verify(id @extschema@.capa_ref, effective boolean, evidence text)
    RETURNS @extschema@.capa_state
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_verify(@extschema@.capa_ref, boolean, text) IS
    '10.2 d: effective -> verified; not effective -> planned (counted). The verifier owns neither the record nor its actions';

CREATE FUNCTION @extschema@.capa_close(id @extschema@.capa_ref, isms_changes text)
    RETURNS @extschema@.capa_state
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_close(@extschema@.capa_ref, text) IS
    '10.2 e: the ISMS changes made (or why none); verified -> closed, or analysed -> closed when the analysis justified no action';

CREATE FUNCTION @extschema@.capa_cancel(id @extschema@.capa_ref, reason text)
    RETURNS @extschema@.capa_state
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_cancel(@extschema@.capa_ref, text) IS
    'open, contained or analysed -> cancelled, with a reason';

CREATE FUNCTION @extschema@.capa_reopen(id @extschema@.capa_ref, reason text)
    RETURNS @extschema@.capa_state
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_reopen(@extschema@.capa_ref, text) IS
    'closed -> open, with a reason; the history stays and the reopen is counted';

CREATE FUNCTION @extschema@.capa_next_states(id @extschema@.capa_ref)
    RETURNS @extschema@.capa_state[]
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_next_states(@extschema@.capa_ref) IS
    'the states the record''s path allows next, for a user interface';

-- Import of an existing register (src/import.c): capa_admin only
CREATE FUNCTION @extschema@.capa_import(source regclass)
    RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_import(regclass) IS
    'imports the records (and their action items) of a table or view whose columns are named like the register''s, with their history; each is judged against its kind''s path and audited as step import; all or nothing; returns the number of records';
REVOKE ALL ON FUNCTION @extschema@.capa_import(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.capa_import(regclass) TO capa_admin;

--
-- The audit chain
--
CREATE FUNCTION @extschema@.capa_audit_bytes(seq bigint) RETURNS bytea
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_audit_bytes(bigint) IS
    'the exact bytes (canonical encoding, version in the first byte) that the hash of audit row seq covers: sha256(capa_audit_bytes(seq)) = hash';

CREATE FUNCTION @extschema@.capa_audit_verify(digest text DEFAULT NULL, record @extschema@.capa_ref DEFAULT NULL)
    RETURNS TABLE (problem text, record_id @extschema@.capa_ref, action_id bigint, seq bigint, detail text)
    AS 'MODULE_PATHNAME' LANGUAGE C STABLE SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION @extschema@.capa_audit_verify(text, @extschema@.capa_ref) IS
    're-checks every audit chain (or one record''s) and every register and action row against it, and given an earlier capa_digest() that the rows it covered are unchanged; one row per problem, none when intact';

CREATE TABLE @extschema@.digest (
    id          bigserial PRIMARY KEY,
    max_seq     bigint NOT NULL,
    chains      bigint NOT NULL,
    digest      text NOT NULL,
    issued_at   timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    issued_by   name NOT NULL DEFAULT CURRENT_USER
);
COMMENT ON TABLE @extschema@.digest IS
    'every digest capa_digest() issued; keep a copy outside the database, where the database''s superuser cannot reach it';
CREATE TRIGGER capa_append_only BEFORE UPDATE OR DELETE ON @extschema@.digest
    FOR EACH ROW EXECUTE FUNCTION @extschema@.capa_audit_guard();
CREATE TRIGGER capa_no_truncate BEFORE TRUNCATE ON @extschema@.digest
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.capa_audit_guard();
ALTER TABLE @extschema@.digest ENABLE ALWAYS TRIGGER capa_append_only;
ALTER TABLE @extschema@.digest ENABLE ALWAYS TRIGGER capa_no_truncate;

CREATE FUNCTION @extschema@.capa_digest() RETURNS text
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp SET jit = off;
COMMENT ON FUNCTION @extschema@.capa_digest() IS
    'capa-digest:v1:<max seq>:<chains>:<sha256 over every chain head>: keep it outside the database; waits for audit writers in flight, so run it in a short transaction of its own';

--
-- KPIs for BI dashboards.  The views read a small rollup that the register
-- trigger maintains (src/kpi.c) and, for what is open now, the open records
-- through a partial index; so they answer in milliseconds on a register of
-- a million records.  Every definition is written down in README.md (KPIs).
-- Months and days are UTC.  The views run with the caller's privileges
-- (security_invoker), so row-level security on the register applies.
--
CREATE TABLE @extschema@.kpi_rollup (
    month               date NOT NULL,
    kind                text NOT NULL,
    org_unit            text,
    shard               integer NOT NULL,
    opened              bigint NOT NULL,
    contained           bigint NOT NULL,
    contain_seconds     bigint NOT NULL,
    analysed            bigint NOT NULL,
    analysed_related    bigint NOT NULL,
    closed              bigint NOT NULL,
    close_seconds       bigint NOT NULL,
    closed_with_due     bigint NOT NULL,
    closed_on_time      bigint NOT NULL,
    closed_verified     bigint NOT NULL,
    closed_first_time   bigint NOT NULL,
    cancelled           bigint NOT NULL,
    reopened            bigint NOT NULL,
    backlog_delta       bigint NOT NULL,
    overdue_delta       bigint NOT NULL
);
COMMENT ON TABLE @extschema@.kpi_rollup IS
    'KPI counters per month (UTC), kind and org unit, maintained by the register trigger; one shard per backend so writers never wait for each other; read it through the kpi_* views';
COMMENT ON COLUMN @extschema@.kpi_rollup.shard IS 'backend id of the writer (0: folded by capa_kpi_compact)';
COMMENT ON COLUMN @extschema@.kpi_rollup.backlog_delta IS 'records starting (+1) and ending (-1) their open interval this month: the running sum is the backlog at month end';
COMMENT ON COLUMN @extschema@.kpi_rollup.overdue_delta IS 'records becoming overdue at this month''s end (+1) and ending overdue (-1): the running sum is the overdue count at month end';
CREATE UNIQUE INDEX kpi_rollup_key ON @extschema@.kpi_rollup (month, kind, org_unit, shard) NULLS NOT DISTINCT;

CREATE TABLE @extschema@.kpi_close_days (
    days                integer NOT NULL,
    kind                text NOT NULL,
    org_unit            text,
    shard               integer NOT NULL,
    closed              bigint NOT NULL
);
COMMENT ON TABLE @extschema@.kpi_close_days IS
    'closures by whole days from opening to closure, for the median; maintained by the register trigger';
CREATE UNIQUE INDEX kpi_close_days_key ON @extschema@.kpi_close_days (days, kind, org_unit, shard) NULLS NOT DISTINCT;

CREATE TABLE @extschema@.kpi_action_due (
    due                 date NOT NULL,
    org_unit            text,
    shard               integer NOT NULL,
    pending             bigint NOT NULL
);
CREATE UNIQUE INDEX kpi_action_due_key ON @extschema@.kpi_action_due (due, org_unit, shard) NULLS NOT DISTINCT;
COMMENT ON TABLE @extschema@.kpi_action_due IS
    'action items not done, of records not cancelled, by due date and their record''s org unit: overdue_actions without reading the items; maintained by the triggers';

-- The rollup as this transaction sees it: the committed rows and the
-- transaction's own changes, which are written only when it commits
-- (src/kpi.c), so a transaction reads its own changes in the KPIs
CREATE FUNCTION @extschema@.capa_kpi_pending_rollup() RETURNS SETOF @extschema@.kpi_rollup
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_kpi_pending_rollup() IS
    'this transaction''s KPI rollup changes, written at its commit (rows of capa.kpi_rollup)';
CREATE FUNCTION @extschema@.capa_kpi_pending_close_days() RETURNS SETOF @extschema@.kpi_close_days
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_kpi_pending_close_days() IS
    'this transaction''s capa.kpi_close_days changes, written at its commit';
CREATE VIEW @extschema@.kpi_rollup_now WITH (security_invoker = true) AS
    SELECT * FROM @extschema@.kpi_rollup
    UNION ALL SELECT * FROM @extschema@.capa_kpi_pending_rollup();
COMMENT ON VIEW @extschema@.kpi_rollup_now IS 'capa.kpi_rollup with this transaction''s own changes, not yet written';
CREATE FUNCTION @extschema@.capa_kpi_pending_action_due() RETURNS SETOF @extschema@.kpi_action_due
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_kpi_pending_action_due() IS
    'this transaction''s capa.kpi_action_due changes, written at its commit';
CREATE VIEW @extschema@.kpi_action_due_now WITH (security_invoker = true) AS
    SELECT * FROM @extschema@.kpi_action_due
    UNION ALL SELECT * FROM @extschema@.capa_kpi_pending_action_due();
COMMENT ON VIEW @extschema@.kpi_action_due_now IS 'capa.kpi_action_due with this transaction''s own changes, not yet written';
CREATE VIEW @extschema@.kpi_close_days_now WITH (security_invoker = true) AS
    SELECT * FROM @extschema@.kpi_close_days
    UNION ALL SELECT * FROM @extschema@.capa_kpi_pending_close_days();
COMMENT ON VIEW @extschema@.kpi_close_days_now IS 'capa.kpi_close_days with this transaction''s own changes, not yet written';

-- what is open now, read by index only: the summary's live part
CREATE INDEX register_open_kpi_idx ON @extschema@.register (state)
    INCLUDE (severity, kind, opened_at, contain_due, close_due, effectiveness_due)
    WHERE state OPERATOR(@extschema@.<) 'closed'::@extschema@.capa_state;
-- pending action items, for overdue_actions
CREATE INDEX action_pending_idx ON @extschema@.action (due) WHERE NOT done;

-- One row per record with the measures the kpi_by_* views group
CREATE VIEW @extschema@.kpi_record WITH (security_invoker = true) AS
SELECT r.id, r.kind, r.severity, r.source, r.cause_category, r.owner, r.org_unit, r.state,
       r.state OPERATOR(@extschema@.<) 'closed'::@extschema@.capa_state AS is_open,
       r.state OPERATOR(@extschema@.<) 'closed'::@extschema@.capa_state
       AND (r.close_due OPERATOR(pg_catalog.<) pg_catalog.now()
            OR (r.state OPERATOR(@extschema@.=) 'open'::@extschema@.capa_state
                AND r.contain_due OPERATOR(pg_catalog.<) pg_catalog.now())
            OR (r.state OPERATOR(@extschema@.=) 'implemented'::@extschema@.capa_state
                AND r.effectiveness_due OPERATOR(pg_catalog.<) pg_catalog.now())) IS TRUE AS is_overdue,
       r.state OPERATOR(@extschema@.=) 'closed'::@extschema@.capa_state AS is_closed,
       r.state OPERATOR(@extschema@.=) 'cancelled'::@extschema@.capa_state AS is_cancelled,
       CASE WHEN r.state OPERATOR(@extschema@.=) 'closed'::@extschema@.capa_state
            THEN pg_catalog.round(EXTRACT(epoch FROM r.closed_at OPERATOR(pg_catalog.-) r.opened_at)
                                  OPERATOR(pg_catalog./) 86400, 1) END AS days_to_close,
       CASE WHEN r.state OPERATOR(@extschema@.=) 'closed'::@extschema@.capa_state
            THEN r.closed_at OPERATOR(pg_catalog.<=) r.close_due END AS closed_on_time,
       r.reopen_count, r.ineffective_count
FROM @extschema@.register r;
COMMENT ON VIEW @extschema@.kpi_record IS
    'one row per record with its KPI measures (open, overdue, days to close, on time): the drill-down behind the kpi_by_* views';

CREATE VIEW @extschema@.kpi_summary WITH (security_invoker = true) AS
WITH now_marks AS MATERIALIZED (
    -- the moments the open records are compared with, computed once
    SELECT pg_catalog.now() AS now,
           pg_catalog.now() OPERATOR(pg_catalog.-) '31 days'::interval AS age_31,
           pg_catalog.now() OPERATOR(pg_catalog.-) '91 days'::interval AS age_91,
           pg_catalog.now() OPERATOR(pg_catalog.-) '181 days'::interval AS age_181
), open_groups AS (
    -- the open records by index only, grouped by severity and age bucket:
    -- each row is compared a few times only (this is most of the view's time)
    SELECT r.severity,
           CASE WHEN r.opened_at OPERATOR(pg_catalog.>) t.age_31 THEN 0
                WHEN r.opened_at OPERATOR(pg_catalog.>) t.age_91 THEN 1
                WHEN r.opened_at OPERATOR(pg_catalog.>) t.age_181 THEN 2
                ELSE 3 END AS age,
           pg_catalog.count(*) AS n,
           -- containment is overdue only while a record is open, the
           -- effectiveness check only while it is implemented
           pg_catalog.count(*) FILTER (WHERE r.state OPERATOR(@extschema@.=) 'open'::@extschema@.capa_state
                                         AND r.contain_due OPERATOR(pg_catalog.<) t.now) AS overdue_contain,
           pg_catalog.count(*) FILTER (WHERE r.close_due OPERATOR(pg_catalog.<) t.now) AS overdue_close,
           pg_catalog.count(*) FILTER (WHERE r.state OPERATOR(@extschema@.=) 'implemented'::@extschema@.capa_state
                                         AND r.effectiveness_due OPERATOR(pg_catalog.<) t.now) AS overdue_effectiveness,
           pg_catalog.count(*) FILTER (WHERE r.close_due OPERATOR(pg_catalog.<) t.now
                                         OR (r.state OPERATOR(@extschema@.=) 'open'::@extschema@.capa_state
                                             AND r.contain_due OPERATOR(pg_catalog.<) t.now)
                                         OR (r.state OPERATOR(@extschema@.=) 'implemented'::@extschema@.capa_state
                                             AND r.effectiveness_due OPERATOR(pg_catalog.<) t.now)) AS overdue_total,
           pg_catalog.count(*) FILTER (WHERE r.kind OPERATOR(pg_catalog.=) 'improvement') AS improvements_open
    FROM now_marks t, @extschema@.register r
    WHERE r.state OPERATOR(@extschema@.<) 'closed'::@extschema@.capa_state
    GROUP BY 1, 2
), open_now AS (
    SELECT COALESCE(pg_catalog.sum(g.n), 0)::bigint AS open_total,
           COALESCE(pg_catalog.sum(g.n) FILTER (WHERE g.severity OPERATOR(@extschema@.=) 'critical'::@extschema@.capa_severity), 0)::bigint AS open_critical,
           COALESCE(pg_catalog.sum(g.n) FILTER (WHERE g.severity OPERATOR(@extschema@.=) 'major'::@extschema@.capa_severity), 0)::bigint AS open_major,
           COALESCE(pg_catalog.sum(g.n) FILTER (WHERE g.severity OPERATOR(@extschema@.=) 'minor'::@extschema@.capa_severity), 0)::bigint AS open_minor,
           COALESCE(pg_catalog.sum(g.n) FILTER (WHERE g.severity OPERATOR(@extschema@.=) 'observation'::@extschema@.capa_severity), 0)::bigint AS open_observation,
           COALESCE(pg_catalog.sum(g.overdue_contain), 0)::bigint AS overdue_contain,
           COALESCE(pg_catalog.sum(g.overdue_close), 0)::bigint AS overdue_close,
           COALESCE(pg_catalog.sum(g.overdue_effectiveness), 0)::bigint AS overdue_effectiveness,
           COALESCE(pg_catalog.sum(g.overdue_total), 0)::bigint AS overdue_total,
           COALESCE(pg_catalog.sum(g.n) FILTER (WHERE g.age OPERATOR(pg_catalog.=) 0), 0)::bigint AS aging_0_30,
           COALESCE(pg_catalog.sum(g.n) FILTER (WHERE g.age OPERATOR(pg_catalog.=) 1), 0)::bigint AS aging_31_90,
           COALESCE(pg_catalog.sum(g.n) FILTER (WHERE g.age OPERATOR(pg_catalog.=) 2), 0)::bigint AS aging_91_180,
           COALESCE(pg_catalog.sum(g.n) FILTER (WHERE g.age OPERATOR(pg_catalog.=) 3), 0)::bigint AS aging_over_180,
           COALESCE(pg_catalog.sum(g.improvements_open), 0)::bigint AS improvements_open
    FROM open_groups g
), pending_actions AS (
    -- items of a closed record are all done; a cancelled record's do not count
    SELECT COALESCE(pg_catalog.sum(d.pending), 0)::bigint AS overdue_actions
    FROM @extschema@.kpi_action_due_now d
    WHERE d.due OPERATOR(pg_catalog.<) (pg_catalog.timezone('UTC', pg_catalog.now()))::date
), history AS (
    SELECT pg_catalog.sum(k.contained) AS contained, pg_catalog.sum(k.contain_seconds) AS contain_seconds,
           pg_catalog.sum(k.analysed) AS analysed, pg_catalog.sum(k.analysed_related) AS analysed_related,
           pg_catalog.sum(k.closed) AS closed, pg_catalog.sum(k.close_seconds) AS close_seconds,
           pg_catalog.sum(k.closed_with_due) AS closed_with_due, pg_catalog.sum(k.closed_on_time) AS closed_on_time,
           pg_catalog.sum(k.closed_verified) AS closed_verified, pg_catalog.sum(k.closed_first_time) AS closed_first_time,
           pg_catalog.sum(k.cancelled) AS cancelled, pg_catalog.sum(k.reopened) AS reopened,
           pg_catalog.sum(k.closed) FILTER (
               WHERE k.kind OPERATOR(pg_catalog.=) 'improvement'
                 AND k.month OPERATOR(pg_catalog.>=) (pg_catalog.date_trunc('month', pg_catalog.timezone('UTC', pg_catalog.now()))
                                                      OPERATOR(pg_catalog.-) '11 months'::interval)::date
                 AND k.month OPERATOR(pg_catalog.<=) pg_catalog.timezone('UTC', pg_catalog.now())::date) AS improvements_closed_12m
    FROM @extschema@.kpi_rollup_now k
), close_days AS (
    SELECT d.days, pg_catalog.sum(d.closed) AS closed
    FROM @extschema@.kpi_close_days_now d
    GROUP BY d.days
), median AS (
    -- the lower median: the first whole-day value reaching half the closures
    SELECT pg_catalog.min(c.days) AS median_days_to_close
    FROM (SELECT cd.days,
                 pg_catalog.sum(cd.closed) OVER (ORDER BY cd.days) AS running,
                 pg_catalog.sum(cd.closed) OVER () AS total
          FROM close_days cd) c
    WHERE c.running OPERATOR(pg_catalog.*) 2 OPERATOR(pg_catalog.>=) c.total
)
SELECT pg_catalog.now() AS as_of,
       o.open_total, o.open_critical, o.open_major, o.open_minor, o.open_observation,
       o.overdue_total, o.overdue_contain, o.overdue_close, o.overdue_effectiveness,
       p.overdue_actions,
       o.aging_0_30, o.aging_31_90, o.aging_91_180, o.aging_over_180,
       COALESCE(h.closed, 0)::bigint AS closed_total,
       COALESCE(h.cancelled, 0)::bigint AS cancelled_total,
       COALESCE(h.reopened, 0)::bigint AS reopened_total,
       pg_catalog.round(h.contain_seconds OPERATOR(pg_catalog./) NULLIF(h.contained, 0) OPERATOR(pg_catalog./) 86400, 1) AS mean_days_to_contain,
       pg_catalog.round(h.close_seconds OPERATOR(pg_catalog./) NULLIF(h.closed, 0) OPERATOR(pg_catalog./) 86400, 1) AS mean_days_to_close,
       m.median_days_to_close,
       pg_catalog.round(h.closed_on_time OPERATOR(pg_catalog./) NULLIF(h.closed_with_due, 0), 4) AS on_time_closure_rate,
       pg_catalog.round(h.closed_first_time OPERATOR(pg_catalog./) NULLIF(h.closed_verified, 0), 4) AS first_time_effective_rate,
       pg_catalog.round(h.reopened OPERATOR(pg_catalog./) NULLIF(h.closed, 0), 4) AS reopen_rate,
       pg_catalog.round(h.analysed_related OPERATOR(pg_catalog./) NULLIF(h.analysed, 0), 4) AS recurrence_rate,
       o.improvements_open,
       COALESCE(h.improvements_closed_12m, 0)::bigint AS improvements_closed_12m
FROM open_now o, pending_actions p, history h, median m;
COMMENT ON VIEW @extschema@.kpi_summary IS
    'one row: the register''s KPIs now (open, overdue, aging, time to contain and close, on-time, first-time effective, reopen and recurrence rates, improvement throughput); definitions in README.md';

CREATE VIEW @extschema@.kpi_monthly WITH (security_invoker = true) AS
WITH by_month AS (
    SELECT k.month,
           pg_catalog.sum(k.opened) AS opened, pg_catalog.sum(k.contained) AS contained,
           pg_catalog.sum(k.closed) AS closed, pg_catalog.sum(k.close_seconds) AS close_seconds,
           pg_catalog.sum(k.closed_with_due) AS closed_with_due, pg_catalog.sum(k.closed_on_time) AS closed_on_time,
           pg_catalog.sum(k.cancelled) AS cancelled, pg_catalog.sum(k.reopened) AS reopened,
           pg_catalog.sum(k.backlog_delta) AS backlog_delta, pg_catalog.sum(k.overdue_delta) AS overdue_delta,
           pg_catalog.sum(k.closed) FILTER (WHERE k.kind OPERATOR(pg_catalog.=) 'improvement') AS improvements_closed
    FROM @extschema@.kpi_rollup_now k
    GROUP BY k.month
), months AS (
    -- every month from the first with data to this one (UTC), gaps included
    SELECT pg_catalog.generate_series(pg_catalog.min(b.month)::timestamp,
                                      pg_catalog.date_trunc('month', pg_catalog.timezone('UTC', pg_catalog.now())),
                                      '1 month'::interval)::date AS month
    FROM by_month b
)
SELECT s.month,
       COALESCE(b.opened, 0)::bigint AS opened,
       COALESCE(b.contained, 0)::bigint AS contained,
       COALESCE(b.closed, 0)::bigint AS closed,
       COALESCE(b.cancelled, 0)::bigint AS cancelled,
       COALESCE(b.reopened, 0)::bigint AS reopened,
       (pg_catalog.sum(COALESCE(b.backlog_delta, 0)) OVER w)::bigint AS backlog_end,
       (pg_catalog.sum(COALESCE(b.overdue_delta, 0)) OVER w)::bigint AS overdue_end,
       pg_catalog.round(b.close_seconds OPERATOR(pg_catalog./) NULLIF(b.closed, 0) OPERATOR(pg_catalog./) 86400, 1) AS mean_days_to_close,
       pg_catalog.round(b.closed_on_time OPERATOR(pg_catalog./) NULLIF(b.closed_with_due, 0), 4) AS on_time_rate,
       COALESCE(b.improvements_closed, 0)::bigint AS improvements_closed
FROM months s
LEFT JOIN by_month b ON b.month OPERATOR(pg_catalog.=) s.month
WINDOW w AS (ORDER BY s.month)
ORDER BY s.month;
COMMENT ON VIEW @extschema@.kpi_monthly IS
    'one row per month (UTC) from the first with data to this one: opened, contained, closed (by close month), cancelled, reopened, backlog and overdue at month end, mean days to close and on-time rate of that month''s closures';

-- The breakdowns, one per dimension, all from kpi_record: counts, time to
-- close, on-time rate, and the Pareto share (cumulative, largest first)
DO $kpi_by$
DECLARE
    d record;
BEGIN
    FOR d IN SELECT * FROM (VALUES
        ('kpi_by_source', 'source', 'source'),
        ('kpi_by_severity', 'severity', 'severity'),
        ('kpi_by_cause', 'cause_category', 'cause category (NULL: not analysed yet)'),
        ('kpi_by_owner', 'owner', 'owner'),
        ('kpi_by_org_unit', 'org_unit', 'org unit')) AS v(view_name, col, label)
    LOOP
        EXECUTE pg_catalog.format($view$
            CREATE VIEW @extschema@.%1$I WITH (security_invoker = true) AS
            SELECT k.%2$I,
                   pg_catalog.count(*) AS records,
                   pg_catalog.count(*) FILTER (WHERE k.is_open) AS open,
                   pg_catalog.count(*) FILTER (WHERE k.is_overdue) AS overdue,
                   pg_catalog.count(*) FILTER (WHERE k.is_closed) AS closed,
                   pg_catalog.count(*) FILTER (WHERE k.is_cancelled) AS cancelled,
                   pg_catalog.round(pg_catalog.avg(k.days_to_close), 1) AS mean_days_to_close,
                   pg_catalog.round(pg_catalog.avg(CASE WHEN k.closed_on_time THEN 1 WHEN NOT k.closed_on_time THEN 0 END), 4) AS on_time_rate,
                   pg_catalog.round(pg_catalog.count(*) OPERATOR(pg_catalog./) (pg_catalog.sum(pg_catalog.count(*)) OVER ()), 4) AS share,
                   pg_catalog.round(pg_catalog.sum(pg_catalog.count(*)) OVER (ORDER BY pg_catalog.count(*) DESC, k.%2$I ROWS UNBOUNDED PRECEDING)
                                    OPERATOR(pg_catalog./) (pg_catalog.sum(pg_catalog.count(*)) OVER ()), 4) AS cumulative_share
            FROM @extschema@.kpi_record k
            GROUP BY k.%2$I
            ORDER BY records DESC, k.%2$I
        $view$, d.view_name, d.col);
        EXECUTE pg_catalog.format('COMMENT ON VIEW @extschema@.%I IS %L', d.view_name,
            'records by ' || d.label || ': open, overdue, closed, cancelled, mean days to close, on-time rate, share and cumulative share (Pareto, largest first)');
    END LOOP;
END
$kpi_by$;

CREATE FUNCTION @extschema@.capa_kpi_rebuild() RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_kpi_rebuild() IS
    'recomputes the KPI rollup from the register (after a restore from an older dump, an upgrade, or to check it); blocks register writers meanwhile; returns the records counted. A reopened record''s earlier closures are not on its row, so a rebuild does not count them';

-- Fold every backend's shard into shard 0 (fewer rows to add up); safe at
-- any time, writers only wait for it while it runs
CREATE FUNCTION @extschema@.capa_kpi_compact() RETURNS bigint
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $compact$
WITH gone AS (
    DELETE FROM @extschema@.kpi_rollup k WHERE k.shard OPERATOR(pg_catalog.<>) 0 RETURNING k.*
), folded AS (
    INSERT INTO @extschema@.kpi_rollup AS k (month, kind, org_unit, shard,
        opened, contained, contain_seconds, analysed, analysed_related, closed, close_seconds,
        closed_with_due, closed_on_time, closed_verified, closed_first_time, cancelled, reopened,
        backlog_delta, overdue_delta)
    SELECT g.month, g.kind, g.org_unit, 0,
        pg_catalog.sum(g.opened), pg_catalog.sum(g.contained), pg_catalog.sum(g.contain_seconds),
        pg_catalog.sum(g.analysed), pg_catalog.sum(g.analysed_related), pg_catalog.sum(g.closed),
        pg_catalog.sum(g.close_seconds), pg_catalog.sum(g.closed_with_due), pg_catalog.sum(g.closed_on_time),
        pg_catalog.sum(g.closed_verified), pg_catalog.sum(g.closed_first_time), pg_catalog.sum(g.cancelled),
        pg_catalog.sum(g.reopened), pg_catalog.sum(g.backlog_delta), pg_catalog.sum(g.overdue_delta)
    FROM gone g
    GROUP BY g.month, g.kind, g.org_unit
    ON CONFLICT (month, kind, org_unit, shard) DO UPDATE SET
        opened = k.opened OPERATOR(pg_catalog.+) EXCLUDED.opened,
        contained = k.contained OPERATOR(pg_catalog.+) EXCLUDED.contained,
        contain_seconds = k.contain_seconds OPERATOR(pg_catalog.+) EXCLUDED.contain_seconds,
        analysed = k.analysed OPERATOR(pg_catalog.+) EXCLUDED.analysed,
        analysed_related = k.analysed_related OPERATOR(pg_catalog.+) EXCLUDED.analysed_related,
        closed = k.closed OPERATOR(pg_catalog.+) EXCLUDED.closed,
        close_seconds = k.close_seconds OPERATOR(pg_catalog.+) EXCLUDED.close_seconds,
        closed_with_due = k.closed_with_due OPERATOR(pg_catalog.+) EXCLUDED.closed_with_due,
        closed_on_time = k.closed_on_time OPERATOR(pg_catalog.+) EXCLUDED.closed_on_time,
        closed_verified = k.closed_verified OPERATOR(pg_catalog.+) EXCLUDED.closed_verified,
        closed_first_time = k.closed_first_time OPERATOR(pg_catalog.+) EXCLUDED.closed_first_time,
        cancelled = k.cancelled OPERATOR(pg_catalog.+) EXCLUDED.cancelled,
        reopened = k.reopened OPERATOR(pg_catalog.+) EXCLUDED.reopened,
        backlog_delta = k.backlog_delta OPERATOR(pg_catalog.+) EXCLUDED.backlog_delta,
        overdue_delta = k.overdue_delta OPERATOR(pg_catalog.+) EXCLUDED.overdue_delta
    RETURNING 1
), gone_days AS (
    DELETE FROM @extschema@.kpi_close_days d WHERE d.shard OPERATOR(pg_catalog.<>) 0 RETURNING d.*
), folded_days AS (
    INSERT INTO @extschema@.kpi_close_days AS d (days, kind, org_unit, shard, closed)
    SELECT g.days, g.kind, g.org_unit, 0, pg_catalog.sum(g.closed)
    FROM gone_days g
    GROUP BY g.days, g.kind, g.org_unit
    ON CONFLICT (days, kind, org_unit, shard) DO UPDATE SET
        closed = d.closed OPERATOR(pg_catalog.+) EXCLUDED.closed
    RETURNING 1
), gone_due AS (
    DELETE FROM @extschema@.kpi_action_due a WHERE a.shard OPERATOR(pg_catalog.<>) 0 RETURNING a.*
), folded_due AS (
    INSERT INTO @extschema@.kpi_action_due AS a (due, org_unit, shard, pending)
    SELECT g.due, g.org_unit, 0, pg_catalog.sum(g.pending)
    FROM gone_due g
    GROUP BY g.due, g.org_unit
    ON CONFLICT (due, org_unit, shard) DO UPDATE SET
        pending = a.pending OPERATOR(pg_catalog.+) EXCLUDED.pending
    RETURNING 1
)
SELECT (SELECT pg_catalog.count(*) FROM gone) OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM gone_days)
       OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM gone_due)
$compact$;
COMMENT ON FUNCTION @extschema@.capa_kpi_compact() IS
    'folds the KPI rollup''s per-backend shards into one; returns the rows folded. Optional housekeeping (e.g. nightly with pg_cron): the KPIs are the same before and after';

--
-- Links from a record to rows of the user's own tables (controls, risks,
-- assets, audits) by primary key: src/link.c.  The target is kept by OID
-- (regclass), so a renamed table keeps its links, and by its qualified
-- name at link time, for display after it is dropped.  An unlink keeps
-- the row (unlinked_at, unlinked_by): the history stays.
--
CREATE TABLE @extschema@.link (
    id              bigserial PRIMARY KEY,
    capa_id         @extschema@.capa_ref NOT NULL REFERENCES @extschema@.register (id),
    target          regclass NOT NULL,
    target_name     text NOT NULL,
    key             text NOT NULL,
    linked_at       timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    linked_by       name NOT NULL,
    unlinked_at     timestamptz,
    unlinked_by     name
);
COMMENT ON TABLE @extschema@.link IS
    'links from records to rows of other tables by primary key, made with capa_link() (checked with the caller''s privileges) and ended with capa_unlink()';
CREATE UNIQUE INDEX link_active_idx ON @extschema@.link (capa_id, target, key) WHERE unlinked_at IS NULL;
CREATE INDEX link_target_idx ON @extschema@.link (target, key);

CREATE FUNCTION @extschema@.capa_link(id @extschema@.capa_ref, target regclass, key text) RETURNS bigint
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_link(@extschema@.capa_ref, regclass, text) IS
    'links a record to the row of target whose one-column primary key is key; the row must exist and be visible to the caller; returns the link id (an existing link is kept)';
CREATE FUNCTION @extschema@.capa_unlink(id @extschema@.capa_ref, target regclass, key text) RETURNS boolean
    AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.capa_unlink(@extschema@.capa_ref, regclass, text) IS
    'ends a link (the row stays, with who ended it and when); false if there was none';

-- Links whose target row (or table) has gone, checked with the caller's
-- privileges: a table the caller cannot read is reported as not checked
CREATE FUNCTION @extschema@.capa_broken_links()
    RETURNS TABLE (link_id bigint, capa_id @extschema@.capa_ref, target_name text, key text, problem text)
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $broken$
DECLARE
    t record;
    pk_column name;
    pk_count integer;
BEGIN
    FOR t IN SELECT DISTINCT l.target FROM @extschema@.link l WHERE l.unlinked_at IS NULL LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) t.target::oid) THEN
            RETURN QUERY SELECT l.id, l.capa_id, l.target_name, l.key, 'table dropped'::text
                FROM @extschema@.link l
                WHERE l.target OPERATOR(pg_catalog.=) t.target AND l.unlinked_at IS NULL;
            CONTINUE;
        END IF;
        IF NOT pg_catalog.has_table_privilege(t.target::oid, 'SELECT') THEN
            RETURN QUERY SELECT l.id, l.capa_id, l.target_name, l.key, 'not checked: no SELECT privilege'::text
                FROM @extschema@.link l
                WHERE l.target OPERATOR(pg_catalog.=) t.target AND l.unlinked_at IS NULL;
            CONTINUE;
        END IF;
        SELECT pg_catalog.min(a.attname), pg_catalog.count(*) INTO pk_column, pk_count
        FROM pg_catalog.pg_index i
        JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid
                                      AND a.attnum OPERATOR(pg_catalog.=) ANY (i.indkey)
        WHERE i.indrelid OPERATOR(pg_catalog.=) t.target::oid AND i.indisprimary;
        IF pk_count IS DISTINCT FROM 1 THEN
            RETURN QUERY SELECT l.id, l.capa_id, l.target_name, l.key, 'primary key changed'::text
                FROM @extschema@.link l
                WHERE l.target OPERATOR(pg_catalog.=) t.target AND l.unlinked_at IS NULL;
            CONTINUE;
        END IF;
        -- compare as text: the key was checked against the column's type when linked
        RETURN QUERY EXECUTE pg_catalog.format(
            'SELECT l.id, l.capa_id, l.target_name, l.key, %L::text
               FROM @extschema@.link l
              WHERE l.target OPERATOR(pg_catalog.=) $1 AND l.unlinked_at IS NULL
                AND NOT EXISTS (SELECT FROM %s x WHERE x.%I::text OPERATOR(pg_catalog.=) l.key)',
            'row gone', t.target, pk_column)
            USING t.target;
    END LOOP;
END
$broken$;
COMMENT ON FUNCTION @extschema@.capa_broken_links() IS
    'active links whose target row or table has gone (with the caller''s privileges: tables the caller cannot read are reported as not checked)';

CREATE VIEW @extschema@.broken_link WITH (security_invoker = true) AS
    SELECT b.link_id, b.capa_id, b.target_name, b.key, b.problem FROM @extschema@.capa_broken_links() b;
COMMENT ON VIEW @extschema@.broken_link IS 'active links whose target row or table has gone';

-- The Pareto of linked rows (controls, and whatever else records link to)
CREATE VIEW @extschema@.kpi_by_control WITH (security_invoker = true) AS
SELECT l.target_name AS control_table, l.key AS control_key,
       pg_catalog.count(*) AS records,
       pg_catalog.count(*) FILTER (WHERE k.is_open) AS open,
       pg_catalog.count(*) FILTER (WHERE k.is_overdue) AS overdue,
       pg_catalog.count(*) FILTER (WHERE k.is_closed) AS closed,
       pg_catalog.count(*) FILTER (WHERE k.is_cancelled) AS cancelled,
       pg_catalog.round(pg_catalog.avg(k.days_to_close), 1) AS mean_days_to_close,
       pg_catalog.round(pg_catalog.avg(CASE WHEN k.closed_on_time THEN 1 WHEN NOT k.closed_on_time THEN 0 END), 4) AS on_time_rate,
       pg_catalog.round(pg_catalog.count(*) OPERATOR(pg_catalog./) (pg_catalog.sum(pg_catalog.count(*)) OVER ()), 4) AS share,
       pg_catalog.round(pg_catalog.sum(pg_catalog.count(*)) OVER (ORDER BY pg_catalog.count(*) DESC, l.target_name, l.key ROWS UNBOUNDED PRECEDING)
                        OPERATOR(pg_catalog./) (pg_catalog.sum(pg_catalog.count(*)) OVER ()), 4) AS cumulative_share
FROM @extschema@.link l
JOIN @extschema@.kpi_record k ON k.id OPERATOR(@extschema@.=) l.capa_id
WHERE l.unlinked_at IS NULL
GROUP BY l.target_name, l.key
ORDER BY records DESC, l.target_name, l.key;
COMMENT ON VIEW @extschema@.kpi_by_control IS
    'records by linked row (capa_link): open, overdue, closed, cancelled, mean days to close, on-time rate, share and cumulative share (Pareto, largest first)';

--
-- Management-review report.  capa_report_html() writes one self-contained
-- HTML page (inline SVG charts; no scripts, fonts, images or links) from
-- the KPI views: the input on nonconformity and corrective-action trends
-- that ISO/IEC 27001 9.3.2 c) asks the management review for.  It only
-- reads, with the caller's privileges (the views are security_invoker).
-- Every text that reaches the page, stored or passed in, goes through
-- report_escape(); the chart helper escapes its labels itself.
--
CREATE FUNCTION @extschema@.report_escape(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $escape$
-- & first, so the entities the other replacements make stay intact;
-- control characters (invalid in XML, invisible in HTML) become U+FFFD
SELECT pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
           pg_catalog.regexp_replace(COALESCE(value, ''), '[\x01-\x08\x0B\x0C\x0E-\x1F\x7F]', U&'\FFFD', 'g'),
           '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;')
$escape$;
COMMENT ON FUNCTION @extschema@.report_escape(text) IS
    'text made safe for HTML and SVG content and attribute values (& < > " '' escaped, control characters replaced); NULL gives the empty string';

-- One chart as inline SVG: grouped bars or lines over labelled categories,
-- with a y axis from 0, an optional cumulative-share line on a right axis
-- from 0 to 100% (the Pareto curve), and a legend when there is more than
-- one series.  vals is series x categories (a 1-D array is one series);
-- NULL is "no value" (no bar, a gap in a line).  With no values at all (or
-- only zeros, for bars) it draws the empty frame with "No data".
CREATE FUNCTION @extschema@.report_chart(chart text, caption text, style text, labels text[],
                                         series text[], vals numeric[],
                                         percent boolean DEFAULT false,
                                         cumulative numeric[] DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $chart$
DECLARE
    -- the canvas, and the plot area inside it (pixels); turned x labels
    -- get 40 more below
    w CONSTANT integer := 600;
    h integer := 276;
    x0 CONSTANT integer := 52;
    x1 CONSTANT integer := 548;
    y0 CONSTANT integer := 236;     -- the zero line
    y1 CONSTANT integer := 56;      -- the top of the scale
    colors CONSTANT text[] := ARRAY['#2b6cb0', '#dd6b20', '#2f855a', '#805ad5'];
    cum_color CONSTANT text := '#c53030';
    id text := @extschema@.report_escape(chart);
    n integer := COALESCE(pg_catalog.array_length(labels, 1), 0);
    ns integer := COALESCE(pg_catalog.array_length(series, 1), 0);
    vmax numeric;
    ymax numeric;
    step numeric;
    slot numeric;       -- width of one category
    every integer;      -- label every n-th category
    rotate boolean;
    bar numeric;
    x numeric;
    y numeric;
    v numeric;
    shown text;     -- a value as written on the chart
    pts text;
    lx integer;
    i integer;
    s integer;
    svg text;
BEGIN
    IF style IS NULL OR style NOT IN ('bars', 'lines') THEN
        RAISE EXCEPTION 'report_chart: style must be bars or lines' USING ERRCODE = '22023';
    END IF;
    IF pg_catalog.array_ndims(vals) = 1 THEN
        vals := ARRAY[vals];
    END IF;
    IF n > 0 AND (pg_catalog.array_length(vals, 1) IS DISTINCT FROM ns
                  OR pg_catalog.array_length(vals, 2) IS DISTINCT FROM n
                  OR pg_catalog.array_length(cumulative, 1) IS DISTINCT FROM
                     CASE WHEN cumulative IS NOT NULL THEN n END) THEN
        RAISE EXCEPTION 'report_chart: vals must be series x labels, cumulative one value per label'
            USING ERRCODE = '22023';
    END IF;
    SELECT pg_catalog.max(u.v) INTO vmax FROM pg_catalog.unnest(vals) AS u(v);

    -- x labels: at most about 12, cut at 20 characters, turned when they
    -- would overlap
    IF n > 0 THEN
        slot := (x1 - x0)::numeric / n;
        every := pg_catalog.ceil(n / 12.0)::integer;
        rotate := (SELECT pg_catalog.max(LEAST(pg_catalog.length(u.l), 20)) FROM pg_catalog.unnest(labels) AS u(l))
                  * 6.2 > slot * every;
        h := h + CASE WHEN rotate THEN 40 ELSE 0 END;
    END IF;

    svg := pg_catalog.format(
        '<svg class="chart" data-chart="%s" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-labelledby="chart-%s-title"'
        ' font-family="system-ui, &quot;Segoe UI&quot;, &quot;DejaVu Sans&quot;, Helvetica, Arial, sans-serif" font-size="11" fill="#4a5568">'
        '<title id="chart-%s-title">%s</title>'
        '<text class="caption" x="%s" y="22" font-size="15" font-weight="600" fill="#1a202c">%s</text>',
        id, w, h, w, h, id, id, @extschema@.report_escape(caption), x0 - 40, @extschema@.report_escape(caption));

    IF n = 0 OR vmax IS NULL OR (style = 'bars' AND vmax <= 0) THEN
        RETURN svg || pg_catalog.format(
            '<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#4a5568"/><line class="axis" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#4a5568"/>'
            '<text class="nodata" x="%s" y="%s" text-anchor="middle" font-size="18" fill="#a0aec0">No data</text></svg>',
            x0, y0, x1, y0, x0, y1, x0, y0, (x0 + x1) / 2, (y0 + y1) / 2);
    END IF;

    -- the scale: 0 to a round maximum in at most 5 steps; counts step by
    -- whole numbers, rates run from 0 to 100%
    IF percent THEN
        ymax := 1;
        step := 0.2;
    ELSE
        step := GREATEST(vmax, 1) / 5;
        step := (SELECT pg_catalog.min(f * pg_catalog.power(10::numeric, pg_catalog.floor(pg_catalog.log(step))))
                   FROM pg_catalog.unnest(ARRAY[1, 2, 5, 10]) AS u(f)
                  WHERE f * pg_catalog.power(10::numeric, pg_catalog.floor(pg_catalog.log(step))) >= step);
        step := GREATEST(step, 1);
        ymax := GREATEST(pg_catalog.ceil(vmax / step), 1) * step;
    END IF;

    -- grid lines and y labels
    FOR i IN 0 .. (ymax / step)::integer LOOP
        y := y0 - (y0 - y1) * i * step / ymax;
        svg := svg || pg_catalog.format(
            '<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e2e8f0"/><text class="tick" x="%s" y="%s" text-anchor="end">%s</text>',
            x0, pg_catalog.round(y, 1), x1, pg_catalog.round(y, 1), x0 - 6, pg_catalog.round(y + 4, 1),
            CASE WHEN percent THEN pg_catalog.round(i * step * 100) || '%'
                 ELSE pg_catalog.trim_scale(i * step)::text END);
    END LOOP;
    IF cumulative IS NOT NULL THEN
        FOR i IN 0 .. 5 LOOP
            svg := svg || pg_catalog.format('<text class="tick" x="%s" y="%s" fill="%s">%s%%</text>',
                x1 + 6, pg_catalog.round(y0 - (y0 - y1) * i / 5.0 + 4, 1), cum_color, i * 20);
        END LOOP;
    END IF;

    FOR i IN 1 .. n LOOP
        CONTINUE WHEN (i - 1) % every <> 0;
        x := x0 + slot * (i - 0.5);
        svg := svg || pg_catalog.format('<text class="label" x="%s" y="%s" text-anchor="%s"%s>%s</text>',
            pg_catalog.round(x, 1), y0 + 16, CASE WHEN rotate THEN 'end' ELSE 'middle' END,
            CASE WHEN rotate THEN pg_catalog.format(' transform="rotate(-35 %s %s)"', pg_catalog.round(x, 1), y0 + 16) END,
            @extschema@.report_escape(CASE WHEN pg_catalog.length(labels[i]) > 20
                                           THEN pg_catalog.left(labels[i], 19) || U&'\2026' ELSE labels[i] END));
    END LOOP;
    svg := svg || pg_catalog.format('<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#4a5568"/><line class="axis" x1="%s" y1="%s" x2="%s" y2="%s" stroke="#4a5568"/>',
        x0, y0, x1, y0, x0, y1, x0, y0);

    -- the marks; each carries its exact value as a tooltip
    IF style = 'bars' THEN
        bar := LEAST(slot * 0.72 / ns, 64);     -- a lone bar stays a bar
        FOR s IN 1 .. ns LOOP
            FOR i IN 1 .. n LOOP
                v := vals[s][i];
                -- a zero rate is a figure worth showing; a zero count is an empty slot
                CONTINUE WHEN v IS NULL OR v < 0 OR (v = 0 AND NOT percent);
                x := x0 + slot * (i - 1) + (slot - bar * ns) / 2 + bar * (s - 1);
                y := y0 - (y0 - y1) * LEAST(v, ymax) / ymax;
                shown := CASE WHEN percent THEN pg_catalog.round(v * 100) || '%' ELSE pg_catalog.trim_scale(v)::text END;
                IF v > 0 THEN
                    svg := svg || pg_catalog.format(
                        '<rect class="bar" x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s, %s: %s</title></rect>',
                        pg_catalog.round(x, 1), pg_catalog.round(y, 1), pg_catalog.round(bar, 1), pg_catalog.round(y0 - y, 1),
                        colors[(s - 1) % 4 + 1], @extschema@.report_escape(labels[i]), @extschema@.report_escape(series[s]), shown);
                END IF;
                IF n * ns <= 24 THEN
                    svg := svg || pg_catalog.format('<text class="value" x="%s" y="%s" text-anchor="middle" font-size="10" fill="#1a202c">%s</text>',
                        pg_catalog.round(x + bar / 2, 1), pg_catalog.round(y - 4, 1), shown);
                END IF;
            END LOOP;
        END LOOP;
    ELSE
        FOR s IN 1 .. ns LOOP
            pts := '';
            FOR i IN 1 .. n + 1 LOOP
                v := CASE WHEN i <= n THEN vals[s][i] END;
                IF v IS NULL THEN
                    -- a gap or the end: draw the run of points so far
                    IF pg_catalog.strpos(pts, ' ') > 0 THEN
                        svg := svg || pg_catalog.format('<polyline class="line" points="%s" stroke="%s" stroke-width="2.5" fill="none"/>', pts, colors[(s - 1) % 4 + 1]);
                    END IF;
                    pts := '';
                    CONTINUE;
                END IF;
                x := x0 + slot * (i - 0.5);
                y := y0 - (y0 - y1) * LEAST(v, ymax) / ymax;
                pts := pts || CASE WHEN pts = '' THEN '' ELSE ' ' END || pg_catalog.round(x, 1) || ',' || pg_catalog.round(y, 1);
                shown := CASE WHEN percent THEN pg_catalog.round(v * 100) || '%' ELSE pg_catalog.trim_scale(v)::text END;
                svg := svg || pg_catalog.format('<circle class="point" cx="%s" cy="%s" r="%s" fill="%s"><title>%s, %s: %s</title></circle>',
                    pg_catalog.round(x, 1), pg_catalog.round(y, 1), CASE WHEN n <= 36 THEN 3 ELSE 2 END,
                    colors[(s - 1) % 4 + 1], @extschema@.report_escape(labels[i]), @extschema@.report_escape(series[s]), shown);
            END LOOP;
        END LOOP;
    END IF;

    -- the cumulative share (0 to 1) on the right axis
    IF cumulative IS NOT NULL THEN
        pts := '';
        FOR i IN 1 .. n LOOP
            CONTINUE WHEN cumulative[i] IS NULL;
            x := x0 + slot * (i - 0.5);
            y := y0 - (y0 - y1) * LEAST(cumulative[i], 1);
            pts := pts || CASE WHEN pts = '' THEN '' ELSE ' ' END || pg_catalog.round(x, 1) || ',' || pg_catalog.round(y, 1);
            svg := svg || pg_catalog.format('<circle class="point" cx="%s" cy="%s" r="3" fill="%s"><title>%s, cumulative share: %s%%</title></circle>',
                pg_catalog.round(x, 1), pg_catalog.round(y, 1), cum_color, @extschema@.report_escape(labels[i]),
                pg_catalog.round(cumulative[i] * 100));
        END LOOP;
        svg := svg || pg_catalog.format('<polyline class="line" points="%s" stroke="%s" stroke-width="2.5" fill="none"/>', pts, cum_color);
    END IF;

    -- the legend, left to right under the caption
    IF ns > 1 OR cumulative IS NOT NULL THEN
        lx := x0;
        FOR s IN 1 .. ns + CASE WHEN cumulative IS NOT NULL THEN 1 ELSE 0 END LOOP
            svg := svg || pg_catalog.format(
                '<rect class="key" x="%s" y="32" width="10" height="10" fill="%s"/><text class="legend" x="%s" y="41">%s</text>',
                lx, CASE WHEN s <= ns THEN colors[(s - 1) % 4 + 1] ELSE cum_color END, lx + 14,
                @extschema@.report_escape(CASE WHEN s <= ns THEN series[s] ELSE 'cumulative share (right axis)' END));
            lx := lx + 24 + 6 * pg_catalog.length(CASE WHEN s <= ns THEN series[s] ELSE 'cumulative share (right axis)' END);
        END LOOP;
    END IF;
    RETURN svg || '</svg>';
END
$chart$;
COMMENT ON FUNCTION @extschema@.report_chart(text, text, text, text[], text[], numeric[], boolean, numeric[]) IS
    'one chart of capa_report_html() as inline SVG: bars or lines of vals (series x labels), optional cumulative share on a right axis; labels and names escaped';

CREATE FUNCTION @extschema@.capa_report_html(
        period_start date DEFAULT (pg_catalog.date_trunc('month', pg_catalog.timezone('UTC', pg_catalog.now()))
                                   OPERATOR(pg_catalog.-) '11 months'::interval)::date,
        period_end date DEFAULT pg_catalog.timezone('UTC', pg_catalog.now())::date,
        title text DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $report$
DECLARE
    esc_title text := @extschema@.report_escape(COALESCE(title, 'Nonconformities, corrective actions and improvement'));
    today date := pg_catalog.timezone('UTC', pg_catalog.now())::date;
    first_month date;
    last_month date;
    s record;           -- capa.kpi_summary
    m record;           -- the period's months, as arrays
    c record;           -- the Pareto of causes, as arrays
    d record;           -- the latest digest
    overdue_rows text;
    overdue_shown integer;
    overdue_all bigint;
    tiles text;
    html text;
BEGIN
    IF period_start IS NULL OR period_end IS NULL THEN
        RAISE EXCEPTION 'period_start and period_end must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF NOT pg_catalog.isfinite(period_start) OR NOT pg_catalog.isfinite(period_end) THEN
        RAISE EXCEPTION 'the report period must be finite dates' USING ERRCODE = '22023';
    END IF;
    IF period_end < period_start THEN
        RAISE EXCEPTION 'the report period ends before it starts'
            USING ERRCODE = '22023',
                  DETAIL = pg_catalog.format('period_start is %s, period_end is %s.',
                                             pg_catalog.to_char(period_start, 'YYYY-MM-DD'), pg_catalog.to_char(period_end, 'YYYY-MM-DD'));
    END IF;
    -- whole months (UTC) that overlap the period, up to this one: later
    -- months have no figures yet
    first_month := pg_catalog.date_trunc('month', period_start)::date;
    last_month := pg_catalog.date_trunc('month', LEAST(period_end, today))::date;
    IF (pg_catalog.date_part('year', period_end) - pg_catalog.date_part('year', period_start)) * 12
       + pg_catalog.date_part('month', period_end) - pg_catalog.date_part('month', period_start) >= 120 THEN
        RAISE EXCEPTION 'the report period is longer than 120 months'
            USING ERRCODE = '22023', HINT = 'Report on ten years or less; the monthly charts need room for their bars.';
    END IF;

    SELECT * INTO s FROM @extschema@.kpi_summary;

    SELECT pg_catalog.array_agg(pg_catalog.to_char(g.month, 'Mon YY') ORDER BY g.month) AS labels,
           pg_catalog.array_agg(k.backlog_end::numeric ORDER BY g.month) AS backlog,
           pg_catalog.array_agg(k.overdue_end::numeric ORDER BY g.month) AS overdue,
           pg_catalog.array_agg(COALESCE(k.opened, 0)::numeric ORDER BY g.month) AS opened,
           pg_catalog.array_agg(COALESCE(k.closed, 0)::numeric ORDER BY g.month) AS closed,
           pg_catalog.array_agg(k.on_time_rate ORDER BY g.month) AS on_time,
           COALESCE(pg_catalog.sum(k.opened), 0) AS opened_sum,
           COALESCE(pg_catalog.sum(k.closed), 0) AS closed_sum,
           COALESCE(pg_catalog.sum(k.cancelled), 0) AS cancelled_sum,
           COALESCE(pg_catalog.sum(k.reopened), 0) AS reopened_sum
      INTO m
      FROM pg_catalog.generate_series(first_month::timestamp, last_month::timestamp, '1 month'::interval) AS g(month)
      LEFT JOIN @extschema@.kpi_monthly k ON k.month OPERATOR(pg_catalog.=) g.month::date;

    -- causes of analysed records, largest first (at most 10 bars; the
    -- cumulative share counts them all), and the records without a cause
    SELECT pg_catalog.array_agg(p.cause_category ORDER BY p.rank) FILTER (WHERE p.shown) AS labels,
           pg_catalog.array_agg(p.records::numeric ORDER BY p.rank) FILTER (WHERE p.shown) AS records,
           pg_catalog.array_agg(p.cumulative ORDER BY p.rank) FILTER (WHERE p.shown) AS cumulative,
           pg_catalog.count(*) FILTER (WHERE p.cause_category IS NOT NULL) AS causes,
           COALESCE(pg_catalog.sum(p.records) FILTER (WHERE p.cause_category IS NULL), 0) AS unanalysed
      INTO c
      FROM (SELECT b.cause_category, b.records,
                   b.cause_category IS NOT NULL AND pg_catalog.row_number() OVER w OPERATOR(pg_catalog.<=) 10 AS shown,
                   pg_catalog.row_number() OVER w AS rank,
                   pg_catalog.sum(b.records) OVER w OPERATOR(pg_catalog./) pg_catalog.sum(b.records) OVER all_of AS cumulative
              FROM @extschema@.kpi_by_cause b
            WINDOW all_of AS (PARTITION BY b.cause_category IS NULL),
                   w AS (all_of ORDER BY b.records DESC, b.cause_category ROWS UNBOUNDED PRECEDING)) p;

    SELECT g.digest, g.issued_at, g.issued_by INTO d
      FROM @extschema@.digest g ORDER BY g.id DESC LIMIT 1;

    -- the overdue records, longest overdue first: open, with a due date
    -- missed, as kpi_record defines it (test/report.sh checks they agree);
    -- the due date shown is the earliest one missed
    SELECT pg_catalog.string_agg(pg_catalog.format(
               '<tr><td>%s</td><td>%s</td><td class="sev-%s">%s</td><td>%s</td><td>%s</td><td>%s</td><td class="num">%s</td></tr>',
               @extschema@.report_escape(o.id), @extschema@.report_escape(o.title), @extschema@.report_escape(o.severity),
               @extschema@.report_escape(o.severity), @extschema@.report_escape(o.owner), @extschema@.report_escape(o.missed),
               pg_catalog.to_char(o.due, 'YYYY-MM-DD'), o.days), '' ORDER BY o.due, o.sev DESC, o.ref),
           pg_catalog.count(*), pg_catalog.max(o.total)
      INTO overdue_rows, overdue_shown, overdue_all
      FROM (SELECT r.id::text AS id, r.id AS ref, r.title, r.severity::text AS severity, r.severity AS sev, r.owner,
                   pg_catalog.concat_ws(', ', CASE WHEN x.contain IS NOT NULL THEN 'containment' END,
                                        CASE WHEN x.close IS NOT NULL THEN 'closure' END,
                                        CASE WHEN x.effectiveness IS NOT NULL THEN 'effectiveness check' END) AS missed,
                   pg_catalog.timezone('UTC', x.first)::date AS due,
                   pg_catalog.floor(EXTRACT(epoch FROM pg_catalog.now() - x.first) / 86400)::bigint AS days,
                   pg_catalog.count(*) OVER () AS total
              FROM @extschema@.register r
             -- the due dates missed, and the first of them
             CROSS JOIN LATERAL (SELECT y.contain, y.close, y.effectiveness,
                                        LEAST(y.contain, y.close, y.effectiveness) AS first
                                   FROM (SELECT
                       CASE WHEN r.state OPERATOR(@extschema@.=) 'open'::@extschema@.capa_state
                                 AND r.contain_due < pg_catalog.now() THEN r.contain_due END AS contain,
                       CASE WHEN r.close_due < pg_catalog.now() THEN r.close_due END AS close,
                       CASE WHEN r.state OPERATOR(@extschema@.=) 'implemented'::@extschema@.capa_state
                                 AND r.effectiveness_due < pg_catalog.now() THEN r.effectiveness_due END AS effectiveness) y) x
             WHERE r.state OPERATOR(@extschema@.<) 'closed'::@extschema@.capa_state AND x.first IS NOT NULL
             ORDER BY due, sev DESC, ref
             LIMIT 50) o;

    -- the headline figures: the register now, and rates over every closure
    SELECT pg_catalog.string_agg(pg_catalog.format(
               '<div class="tile%s"><div class="value">%s</div><div class="name">%s</div><div class="note">%s</div></div>',
               CASE WHEN t.alert THEN ' alert' END, @extschema@.report_escape(t.value),
               @extschema@.report_escape(t.name), @extschema@.report_escape(t.note)), '' ORDER BY t.ord)
      INTO tiles
      FROM (VALUES
        (1, s.open_total::text, 'open records', pg_catalog.format('%s critical, %s major, %s minor, %s observation',
             s.open_critical, s.open_major, s.open_minor, s.open_observation), false),
        (2, s.overdue_total::text, 'overdue records', pg_catalog.format('%s containment, %s closure, %s effectiveness check; %s action items overdue',
             s.overdue_contain, s.overdue_close, s.overdue_effectiveness, s.overdue_actions), s.overdue_total > 0),
        (3, COALESCE(s.mean_days_to_close::text || ' d', U&'\2013'), 'mean time to close',
             CASE WHEN s.closed_total > 0 THEN pg_catalog.format('median %s days; closures to date: %s', s.median_days_to_close, s.closed_total)
                  ELSE 'no closure yet' END, false),
        (4, COALESCE(pg_catalog.round(s.on_time_closure_rate * 100) || '%', U&'\2013'), 'closed on time',
             'closures by their close due date', false),
        (5, COALESCE(pg_catalog.round(s.first_time_effective_rate * 100) || '%', U&'\2013'), 'effective first time',
             'closures whose first effectiveness check succeeded', false),
        (6, COALESCE(pg_catalog.round(s.reopen_rate * 100) || '%', U&'\2013'), 'reopen rate',
             pg_catalog.format('reopens per closure; reopens to date: %s', s.reopened_total), false),
        (7, COALESCE(pg_catalog.round(s.recurrence_rate * 100) || '%', U&'\2013'), 'recurrence rate',
             'analyses that found a similar earlier nonconformity', false),
        (8, s.improvements_open::text, 'improvements open',
             pg_catalog.format('%s closed in the last 12 months', s.improvements_closed_12m), false)
      ) AS t(ord, value, name, note, alert);

    html := pg_catalog.format($page$<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="generator" content="capa capa_report_html()"/>
<title>%1$s</title>
<style>
body{font-family:system-ui,"Segoe UI","DejaVu Sans",Helvetica,Arial,sans-serif;color:#1a202c;margin:24px auto;max-width:1240px;padding:0 16px;font-size:14px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:17px;margin:28px 0 10px;border-bottom:2px solid #e2e8f0;padding-bottom:4px}
.meta{color:#4a5568;margin:2px 0}
.digest{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px;word-break:break-all}
.tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:12px}
.tile{border:1px solid #e2e8f0;border-left:5px solid #2b6cb0;border-radius:6px;padding:10px 12px}
.tile.alert{border-left-color:#c53030}
.tile .value{font-size:28px;font-weight:600}
.tile.alert .value{color:#c53030}
.tile .name{font-weight:600}
.tile .note,.period{color:#4a5568;font-size:12px}
.charts{display:grid;grid-template-columns:repeat(2,1fr);gap:16px}
figure{margin:0;border:1px solid #e2e8f0;border-radius:6px;padding:8px}
figcaption{color:#4a5568;font-size:12px;margin-top:4px}
svg.chart{width:100%%;height:auto}
table{border-collapse:collapse;width:100%%}
th,td{border-bottom:1px solid #e2e8f0;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f7fafc}
td.num{text-align:right}
td.sev-critical,td.sev-major{color:#c53030;font-weight:600}
dl{font-size:12px;color:#4a5568}
dt{font-weight:600;color:#1a202c}
dd{margin:0 0 6px 16px}
@media print{body{margin:0;max-width:none;font-size:11px}.tiles{grid-template-columns:repeat(4,1fr)}figure,.tile,tr{break-inside:avoid}h2{break-after:avoid}@page{size:A4;margin:12mm}}
</style>
</head>
<body>
<header>
<h1>%1$s</h1>
<p class="meta">Management review input (ISO/IEC 27001:2022 9.3.2 c): trends in nonconformities and corrective actions. Period: %2$s to %3$s (whole months, UTC).</p>
<p class="meta">Generated %4$s UTC by %5$s from database %6$s.</p>
<p class="meta">%7$s</p>
</header>
<h2>The register now</h2>
<div class="tiles">%8$s</div>
<p class="period">In the period: %9$s opened, %10$s closed, %11$s cancelled, %12$s reopened.</p>
<h2>Trends and causes</h2>
<div class="charts">
<figure>%13$s<figcaption>Records open at each month end (current month: if nothing changes), and of those, past their close due date.</figcaption></figure>
<figure>%14$s<figcaption>Records opened and closed in each month; closures count in the month they happened.</figcaption></figure>
<figure>%15$s<figcaption>Open records now, by whole days since they were opened.</figcaption></figure>
<figure>%16$s<figcaption>All analysed records by cause category, largest first, with the cumulative share%17$s.</figcaption></figure>
<figure>%18$s<figcaption>Over every closure to date: closed by the due date, effective at the first check, reopened, and analyses that found a similar earlier nonconformity.</figcaption></figure>
<figure>%19$s<figcaption>Closures by their due date, per month of closure; no point for a month without closures.</figcaption></figure>
</div>
<h2>Overdue records</h2>
%20$s
<h2>Definitions</h2>
<dl>
<dt>Open</dt><dd>Neither closed nor cancelled.</dd>
<dt>Overdue</dt><dd>Open and past the close due date; or not contained past the containment due date; or implemented past the effectiveness-check due date.</dd>
<dt>Closed on time</dt><dd>Closed at or before the close due date; closures without one are left out.</dd>
<dt>Effective first time</dt><dd>Closed after an effectiveness check, and no check ever found the action ineffective.</dd>
<dt>Recurrence</dt><dd>An analysis that names an earlier record with a similar nonconformity (10.2 b 3).</dd>
</dl>
<p class="meta">Figures from the capa.kpi_* views; the same definitions as every dashboard that reads them.</p>
</body>
</html>
$page$,
        esc_title,
        pg_catalog.to_char(first_month, 'YYYY-MM-DD'),
        pg_catalog.to_char(period_end, 'YYYY-MM-DD'),
        pg_catalog.to_char(pg_catalog.timezone('UTC', pg_catalog.now()), 'YYYY-MM-DD HH24:MI'),
        @extschema@.report_escape(CURRENT_USER),
        @extschema@.report_escape(pg_catalog.current_database()),
        CASE WHEN d.digest IS NULL
             THEN 'No audit-trail digest recorded yet: a verifier runs capa_digest() and keeps its value outside the database.'
             ELSE pg_catalog.format('Latest audit-trail digest, issued %s UTC by %s: <span class="digest">%s</span>',
                                    pg_catalog.to_char(pg_catalog.timezone('UTC', d.issued_at), 'YYYY-MM-DD HH24:MI'),
                                    @extschema@.report_escape(d.issued_by), @extschema@.report_escape(d.digest)) END,
        tiles,
        m.opened_sum, m.closed_sum, m.cancelled_sum, m.reopened_sum,
        @extschema@.report_chart('backlog', 'Backlog at month end', 'lines', m.labels,
                                 ARRAY['open', 'overdue'], ARRAY[m.backlog, m.overdue]),
        @extschema@.report_chart('opened-closed', 'Opened and closed per month', 'bars', m.labels,
                                 ARRAY['opened', 'closed'], ARRAY[m.opened, m.closed]),
        @extschema@.report_chart('aging', 'Age of open records', 'bars',
                                 ARRAY['0-30 days', '31-90 days', '91-180 days', 'over 180 days'], ARRAY['open records'],
                                 ARRAY[s.aging_0_30, s.aging_31_90, s.aging_91_180, s.aging_over_180]::numeric[]),
        @extschema@.report_chart('causes', 'Pareto of causes', 'bars', c.labels, ARRAY['records'], c.records,
                                 cumulative => c.cumulative),
        CASE WHEN c.unanalysed > 0 OR c.causes > 10
             THEN pg_catalog.format('; not shown: %s', pg_catalog.concat_ws(' and ',
                      CASE WHEN c.causes > 10 THEN pg_catalog.format('%s smaller categories', c.causes - 10) END,
                      CASE WHEN c.unanalysed > 0 THEN pg_catalog.format('%s records without a cause category (not analysed yet, analysed without one, or improvements)', c.unanalysed) END))
        END,
        @extschema@.report_chart('effectiveness', 'Effectiveness of corrective actions', 'bars',
                                 ARRAY['closed on time', 'effective first time', 'reopened', 'recurrence'], ARRAY['rate'],
                                 ARRAY[s.on_time_closure_rate, s.first_time_effective_rate, s.reopen_rate, s.recurrence_rate],
                                 percent => true),
        @extschema@.report_chart('on-time', 'Closed on time, per month', 'lines', m.labels,
                                 ARRAY['on-time closure rate'], m.on_time, percent => true),
        CASE WHEN overdue_shown = 0 THEN '<p>No record is overdue.</p>'
             ELSE '<table class="overdue"><thead><tr><th>Reference</th><th>Title</th><th>Severity</th><th>Owner</th>'
                  '<th>Missed</th><th>Due</th><th>Days overdue</th></tr></thead><tbody>' || overdue_rows || '</tbody></table>'
                  || CASE WHEN overdue_all > overdue_shown
                          THEN pg_catalog.format('<p class="meta">%s more overdue records are not listed (capa.kpi_record has them all).</p>',
                                                 overdue_all - overdue_shown) ELSE '' END
        END);
    RETURN html;
END
$report$;
COMMENT ON FUNCTION @extschema@.capa_report_html(date, date, text) IS
    'the management-review report: one self-contained HTML page (inline SVG charts, no external resources) of the KPIs now and per month of the period; read-only, with the caller''s privileges';

GRANT EXECUTE ON FUNCTION @extschema@.report_escape(text),
    @extschema@.report_chart(text, text, text, text[], text[], numeric[], boolean, numeric[]),
    @extschema@.capa_report_html(date, date, text) TO capa_reader;

--
-- Dump: every table and sequence; lookups without their built-in rows.
--
SELECT pg_catalog.pg_extension_config_dump('@extschema@.source', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.cause_category', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.rca_method', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.severity_policy', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.severity_policy_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.policy', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.policy_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.register_number_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.register', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.action', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.action_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.audit', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.audit_seq_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.digest', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.digest_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.kpi_rollup', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.kpi_close_days', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.kpi_action_due', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.link', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.link_id_seq', '');

--
-- Privileges.  Nothing for PUBLIC.  Tables are written only by the API
-- (which runs as their owner), so roles get SELECT at most; the audit
-- trail refuses UPDATE, DELETE and TRUNCATE even to its owner.
--
REVOKE ALL ON SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON @extschema@.audit, @extschema@.digest FROM CURRENT_USER;

-- the types' I/O and comparison functions are harmless and needed by anyone
-- who can see a column of these types
GRANT USAGE ON SCHEMA @extschema@ TO capa_reader;
GRANT EXECUTE ON FUNCTION
    @extschema@.capa_state_in(cstring), @extschema@.capa_state_out(@extschema@.capa_state),
    @extschema@.capa_state_recv(internal), @extschema@.capa_state_send(@extschema@.capa_state),
    @extschema@.capa_severity_in(cstring), @extschema@.capa_severity_out(@extschema@.capa_severity),
    @extschema@.capa_severity_recv(internal), @extschema@.capa_severity_send(@extschema@.capa_severity),
    @extschema@.capa_ref_in(cstring), @extschema@.capa_ref_out(@extschema@.capa_ref),
    @extschema@.capa_ref_recv(internal), @extschema@.capa_ref_send(@extschema@.capa_ref),
    @extschema@.capa_ref(integer, bigint), @extschema@.capa_ref_year(@extschema@.capa_ref),
    @extschema@.capa_ref_number(@extschema@.capa_ref),
    @extschema@.capa_state_eq(@extschema@.capa_state, @extschema@.capa_state),
    @extschema@.capa_state_ne(@extschema@.capa_state, @extschema@.capa_state),
    @extschema@.capa_state_lt(@extschema@.capa_state, @extschema@.capa_state),
    @extschema@.capa_state_le(@extschema@.capa_state, @extschema@.capa_state),
    @extschema@.capa_state_gt(@extschema@.capa_state, @extschema@.capa_state),
    @extschema@.capa_state_ge(@extschema@.capa_state, @extschema@.capa_state),
    @extschema@.capa_state_cmp(@extschema@.capa_state, @extschema@.capa_state),
    @extschema@.capa_state_hash(@extschema@.capa_state),
    @extschema@.capa_state_hash_extended(@extschema@.capa_state, bigint),
    @extschema@.capa_severity_eq(@extschema@.capa_severity, @extschema@.capa_severity),
    @extschema@.capa_severity_ne(@extschema@.capa_severity, @extschema@.capa_severity),
    @extschema@.capa_severity_lt(@extschema@.capa_severity, @extschema@.capa_severity),
    @extschema@.capa_severity_le(@extschema@.capa_severity, @extschema@.capa_severity),
    @extschema@.capa_severity_gt(@extschema@.capa_severity, @extschema@.capa_severity),
    @extschema@.capa_severity_ge(@extschema@.capa_severity, @extschema@.capa_severity),
    @extschema@.capa_severity_cmp(@extschema@.capa_severity, @extschema@.capa_severity),
    @extschema@.capa_severity_hash(@extschema@.capa_severity),
    @extschema@.capa_severity_hash_extended(@extschema@.capa_severity, bigint),
    @extschema@.capa_ref_eq(@extschema@.capa_ref, @extschema@.capa_ref),
    @extschema@.capa_ref_ne(@extschema@.capa_ref, @extschema@.capa_ref),
    @extschema@.capa_ref_lt(@extschema@.capa_ref, @extschema@.capa_ref),
    @extschema@.capa_ref_le(@extschema@.capa_ref, @extschema@.capa_ref),
    @extschema@.capa_ref_gt(@extschema@.capa_ref, @extschema@.capa_ref),
    @extschema@.capa_ref_ge(@extschema@.capa_ref, @extschema@.capa_ref),
    @extschema@.capa_ref_cmp(@extschema@.capa_ref, @extschema@.capa_ref),
    @extschema@.capa_ref_sortsupport(internal),
    @extschema@.capa_ref_hash(@extschema@.capa_ref),
    @extschema@.capa_ref_hash_extended(@extschema@.capa_ref, bigint),
    @extschema@.capa_ref_smaller(@extschema@.capa_ref, @extschema@.capa_ref),
    @extschema@.capa_ref_larger(@extschema@.capa_ref, @extschema@.capa_ref),
    @extschema@.min(@extschema@.capa_ref), @extschema@.max(@extschema@.capa_ref)
    TO capa_reader;

GRANT SELECT ON @extschema@.register, @extschema@.action, @extschema@.audit,
    @extschema@.source, @extschema@.cause_category, @extschema@.rca_method,
    @extschema@.severity_policy, @extschema@.policy TO capa_reader;
GRANT EXECUTE ON FUNCTION @extschema@.capa_next_states(@extschema@.capa_ref) TO capa_reader;
GRANT EXECUTE ON FUNCTION @extschema@.capa_audit_bytes(bigint), @extschema@.capa_audit_verify(text, @extschema@.capa_ref) TO capa_reader;
GRANT SELECT ON @extschema@.digest TO capa_reader;
GRANT SELECT ON @extschema@.kpi_rollup, @extschema@.kpi_close_days, @extschema@.kpi_record,
    @extschema@.kpi_rollup_now, @extschema@.kpi_close_days_now, @extschema@.kpi_action_due,
    @extschema@.kpi_action_due_now,
    @extschema@.kpi_summary, @extschema@.kpi_monthly, @extschema@.kpi_by_source,
    @extschema@.kpi_by_severity, @extschema@.kpi_by_cause, @extschema@.kpi_by_owner,
    @extschema@.kpi_by_org_unit, @extschema@.kpi_by_control, @extschema@.link,
    @extschema@.broken_link TO capa_reader;
GRANT EXECUTE ON FUNCTION @extschema@.capa_broken_links(), @extschema@.capa_kpi_pending_rollup(),
    @extschema@.capa_kpi_pending_close_days(), @extschema@.capa_kpi_pending_action_due() TO capa_reader;
GRANT EXECUTE ON FUNCTION @extschema@.capa_link(@extschema@.capa_ref, regclass, text),
    @extschema@.capa_unlink(@extschema@.capa_ref, regclass, text) TO capa_editor;
GRANT EXECUTE ON FUNCTION @extschema@.capa_kpi_compact(), @extschema@.capa_kpi_rebuild() TO capa_admin;
GRANT EXECUTE ON FUNCTION @extschema@.capa_digest() TO capa_verifier;

GRANT EXECUTE ON FUNCTION
    @extschema@.capa_open(text, text, @extschema@.capa_severity, text, text, text, integer, text, timestamptz, timestamptz),
    @extschema@.capa_contain(@extschema@.capa_ref, text, text),
    @extschema@.capa_analyse(@extschema@.capa_ref, text, text, text, text, boolean, text, text[], @extschema@.capa_ref[]),
    @extschema@.capa_add_action(@extschema@.capa_ref, text, text, date),
    @extschema@.capa_complete_action(bigint, text),
    @extschema@.capa_plan(@extschema@.capa_ref),
    @extschema@.capa_implement(@extschema@.capa_ref)
    TO capa_editor;

GRANT EXECUTE ON FUNCTION
    @extschema@.capa_verify(@extschema@.capa_ref, boolean, text),
    @extschema@.capa_close(@extschema@.capa_ref, text),
    @extschema@.capa_reopen(@extschema@.capa_ref, text)
    TO capa_verifier;

GRANT EXECUTE ON FUNCTION @extschema@.capa_cancel(@extschema@.capa_ref, text) TO capa_admin;
GRANT INSERT (code, label) ON @extschema@.source, @extschema@.cause_category, @extschema@.rca_method TO capa_admin;
GRANT INSERT (severity, contain_within, close_within, effectiveness_within) ON @extschema@.severity_policy TO capa_admin;
GRANT INSERT (segregation_of_duties) ON @extschema@.policy TO capa_admin;
GRANT USAGE ON SEQUENCE @extschema@.severity_policy_id_seq, @extschema@.policy_id_seq TO capa_admin;

--
-- ===================================================================
-- The auditor's evidence pack (10.2 a-g) and management review
-- snapshots.  Everything of this section is SECURITY INVOKER: readers
-- see what they may already SELECT; search_path is pinned and every
-- reference is schema-qualified (operators of capa's types too).
-- ===================================================================
--

-- 10.2 e: isms_changes is required text at close, so "no change to the
-- ISMS was necessary" is recorded as text.  The convention: the text
-- begins with "none", "no change(s)", "no ISMS change(s)", "n/a" or "not
-- applicable" (any case), followed by its end or by a character that is
-- not a letter or digit ("None: BK-01 already covers it").  A standard SQL
-- body: parsed once, here, so no search_path reaches it later.
CREATE FUNCTION @extschema@.capa_no_isms_change(isms_changes text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN isms_changes OPERATOR(pg_catalog.~*)
        '^[[:space:]]*(none|no (isms )?changes?|n/a|not applicable)([^[:alnum:]]|$)';
COMMENT ON FUNCTION @extschema@.capa_no_isms_change(text) IS
    '10.2 e: whether an isms_changes text records that no ISMS change was made (it begins with none, no change(s), no ISMS change(s), n/a or not applicable)';

-- The clause 10.2 a-g checklist of one record: one row per item
CREATE FUNCTION @extschema@.capa_conformance(id @extschema@.capa_ref)
    RETURNS TABLE (item text, requirement text, status text, evidence text, fields text[],
                   action_ids bigint[], audit_seq bigint[], recorded_by name,
                   recorded_at timestamptz, detail text)
    LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $conformance$
DECLARE
    r           @extschema@.register;
    src         jsonb;      -- field -> {seq, by, at} of the latest audit row that wrote it (not NULL)
    cancelled   boolean;
    why_cancel  text;
    no_action   boolean;
    n_actions   integer;
    n_done      integer;
    act_ids     bigint[];
    act_text    text;
    act_seqs    bigint[];
    verify_seqs bigint[];
    all_seqs    bigint[];
    n_chains    integer;
    first_by    name;
    first_at    timestamptz;
    problems    text;
    n_problems  integer;
    verifier_owns boolean;
    f           text[];
BEGIN
    IF capa_conformance.id IS NULL THEN
        RAISE EXCEPTION 'capa record reference must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT g.* INTO r FROM @extschema@.register g
     WHERE g.id OPERATOR(@extschema@.=) capa_conformance.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'capa record % does not exist', capa_conformance.id USING ERRCODE = 'undefined_object';
    END IF;

    SELECT pg_catalog.jsonb_object_agg(x.key, pg_catalog.jsonb_build_object('seq', x.seq, 'by', x.actor, 'at', x.at))
      INTO src
      FROM (SELECT DISTINCT ON (e.key) e.key, a.seq, a.actor, a.at
              FROM @extschema@.audit a, pg_catalog.jsonb_each(a.changed) e
             WHERE a.record_id OPERATOR(@extschema@.=) r.id AND a.action_id IS NULL
               AND e.value OPERATOR(pg_catalog.<>) 'null'::jsonb
             ORDER BY e.key, a.seq DESC) x;
    src := COALESCE(src, '{}'::jsonb);

    cancelled := r.state OPERATOR(@extschema@.=) 'cancelled'::@extschema@.capa_state;
    why_cancel := 'the record was cancelled before this step: ' OPERATOR(pg_catalog.||)
                  COALESCE(pg_catalog.left(r.cancel_reason, 200), '');
    no_action := r.action_required IS FALSE;

    SELECT pg_catalog.count(*), pg_catalog.count(*) FILTER (WHERE a.done),
           pg_catalog.array_agg(a.id ORDER BY a.id),
           pg_catalog.string_agg(pg_catalog.format('#%s (%s): %s', a.id, a.owner,
                                 COALESCE(pg_catalog.left(a.evidence, 200), 'not done')), '; ' ORDER BY a.id)
      INTO n_actions, n_done, act_ids, act_text
      FROM @extschema@.action a WHERE a.capa_id OPERATOR(@extschema@.=) r.id;
    -- each action item's completion (done is final: one row per item)
    SELECT pg_catalog.array_agg(a.seq ORDER BY a.seq) INTO act_seqs
      FROM @extschema@.audit a
     WHERE a.record_id OPERATOR(@extschema@.=) r.id AND a.action_id IS NOT NULL
       AND (a.changed OPERATOR(pg_catalog.->) 'done') OPERATOR(pg_catalog.=) 'true'::jsonb;
    -- every effectiveness review, ineffective ones included
    SELECT pg_catalog.array_agg(a.seq ORDER BY a.seq) INTO verify_seqs
      FROM @extschema@.audit a
     WHERE a.record_id OPERATOR(@extschema@.=) r.id AND a.action_id IS NULL
       AND (a.changed OPERATOR(pg_catalog.->) 'effective') OPERATOR(pg_catalog.<>) 'null'::jsonb;
    SELECT pg_catalog.array_agg(a.seq ORDER BY a.seq),
           pg_catalog.count(DISTINCT COALESCE(a.action_id, 0)),
           (pg_catalog.array_agg(a.actor ORDER BY a.seq))[1],
           (pg_catalog.array_agg(a.at ORDER BY a.seq))[1]
      INTO all_seqs, n_chains, first_by, first_at
      FROM @extschema@.audit a WHERE a.record_id OPERATOR(@extschema@.=) r.id;
    SELECT pg_catalog.count(*), pg_catalog.string_agg(DISTINCT v.problem, ', ')
      INTO n_problems, problems
      FROM @extschema@.capa_audit_verify(record => r.id) v;

    -- a) react: control and correct it, deal with the consequences
    item := 'a';
    requirement := 'react to the nonconformity: take action to control and correct it, and deal with the consequences';
    fields := ARRAY['containment', 'consequences'];
    action_ids := NULL;
    IF r.kind OPERATOR(pg_catalog.<>) 'corrective' THEN
        status := 'not_applicable';
        evidence := NULL; fields := NULL; audit_seq := NULL; recorded_by := NULL; recorded_at := NULL;
        detail := CASE r.kind WHEN 'preventive' THEN 'a preventive record: no nonconformity has occurred'
                  ELSE 'an improvement (10.1): no nonconformity has occurred' END;
    ELSIF r.containment OPERATOR(pg_catalog.~) '[^[:space:]]' AND r.consequences OPERATOR(pg_catalog.~) '[^[:space:]]' THEN
        status := 'met';
        evidence := pg_catalog.format('containment: %s; consequences: %s',
                                      pg_catalog.left(r.containment, 200), pg_catalog.left(r.consequences, 200));
        detail := 'contained by ' OPERATOR(pg_catalog.||) r.contained_by::text;
    ELSE
        status := CASE WHEN cancelled THEN 'not_applicable' ELSE 'not_yet' END;
        evidence := NULL;
        detail := CASE WHEN cancelled THEN why_cancel ELSE 'awaiting capa_contain' END;
    END IF;
    IF status OPERATOR(pg_catalog.=) 'met' THEN
        SELECT pg_catalog.array_agg(DISTINCT (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'seq')::bigint)
          INTO audit_seq FROM pg_catalog.unnest(fields) x;
    ELSE
        audit_seq := NULL;
    END IF;
    recorded_by := (src OPERATOR(pg_catalog.->) 'contained_at' OPERATOR(pg_catalog.->>) 'by')::name;
    recorded_at := (src OPERATOR(pg_catalog.->) 'contained_at' OPERATOR(pg_catalog.->>) 'at')::timestamptz;
    IF status OPERATOR(pg_catalog.<>) 'met' THEN recorded_by := NULL; recorded_at := NULL; END IF;
    RETURN NEXT;

    -- b) evaluate the need for action: review, causes, similar nonconformities
    item := 'b';
    requirement := 'evaluate the need for action to eliminate the causes: review the nonconformity, determine its causes, and whether similar nonconformities exist or could occur';
    action_ids := NULL;
    f := ARRAY['root_cause', 'rca_method', 'extent_of_condition', 'cause_category', 'why_chain',
               'related', 'action_required', 'no_action_justification'];
    -- the columns that hold the analysis (once recorded), else those it needs
    fields := ARRAY(SELECT x FROM pg_catalog.unnest(f) WITH ORDINALITY u(x, n)
                     WHERE src OPERATOR(pg_catalog.?) x ORDER BY n);
    IF fields OPERATOR(pg_catalog.=) '{}'::text[] THEN
        fields := ARRAY['root_cause', 'rca_method', 'extent_of_condition', 'action_required'];
    END IF;
    IF r.kind OPERATOR(pg_catalog.=) 'improvement' THEN
        status := 'not_applicable';
        evidence := NULL; fields := NULL;
        detail := 'an improvement (10.1): no nonconformity whose causes need evaluating';
    ELSIF r.root_cause OPERATOR(pg_catalog.~) '[^[:space:]]' AND r.rca_method IS NOT NULL
          AND (r.kind OPERATOR(pg_catalog.=) 'preventive' OR r.extent_of_condition OPERATOR(pg_catalog.~) '[^[:space:]]')
          AND r.action_required IS NOT NULL
          AND (r.action_required OR r.no_action_justification OPERATOR(pg_catalog.~) '[^[:space:]]') THEN
        status := 'met';
        evidence := pg_catalog.concat_ws('; ',
            'root cause: ' OPERATOR(pg_catalog.||) pg_catalog.left(r.root_cause, 200),
            'method: ' OPERATOR(pg_catalog.||) r.rca_method,
            'extent of condition: ' OPERATOR(pg_catalog.||) pg_catalog.left(r.extent_of_condition, 200),
            'related: ' OPERATOR(pg_catalog.||) pg_catalog.array_to_string(r.related::text[], ', '),
            CASE WHEN r.action_required THEN 'action required'
                 ELSE 'no action required: ' OPERATOR(pg_catalog.||) pg_catalog.left(r.no_action_justification, 200) END);
        detail := 'analysed by ' OPERATOR(pg_catalog.||) r.analysed_by::text;
    ELSE
        status := CASE WHEN cancelled THEN 'not_applicable' ELSE 'not_yet' END;
        evidence := NULL;
        detail := CASE WHEN cancelled THEN why_cancel
                       WHEN no_action THEN 'no action required, but the justification is not recorded yet (capa_close records it)'
                       ELSE 'awaiting capa_analyse' END;
    END IF;
    IF status OPERATOR(pg_catalog.=) 'met' THEN
        SELECT pg_catalog.array_agg(DISTINCT (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'seq')::bigint)
          INTO audit_seq FROM pg_catalog.unnest(fields) x;
        SELECT (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'by')::name,
               (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'at')::timestamptz
          INTO recorded_by, recorded_at
          FROM pg_catalog.unnest(fields) x
         ORDER BY (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'seq')::bigint DESC LIMIT 1;
    ELSE
        audit_seq := NULL; recorded_by := NULL; recorded_at := NULL;
    END IF;
    RETURN NEXT;

    -- c) implement any action needed
    item := 'c';
    requirement := 'implement any action needed';
    IF no_action THEN
        status := 'not_applicable';
        evidence := pg_catalog.left(r.no_action_justification, 200);
        fields := ARRAY['action_required', 'no_action_justification'];
        action_ids := NULL;
        detail := 'the analysis decided that no action is required' OPERATOR(pg_catalog.||)
                  CASE WHEN r.no_action_justification IS NULL THEN ' (justification not recorded yet)' ELSE '' END;
        SELECT pg_catalog.array_agg(DISTINCT (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'seq')::bigint)
          INTO audit_seq FROM pg_catalog.unnest(fields) x WHERE src OPERATOR(pg_catalog.?) x;
        recorded_by := NULL; recorded_at := NULL;
    ELSIF r.state OPERATOR(@extschema@.=) ANY (ARRAY['implemented', 'verified', 'closed']::@extschema@.capa_state[])
          AND n_actions OPERATOR(pg_catalog.>) 0 AND n_done OPERATOR(pg_catalog.=) n_actions THEN
        status := 'met';
        evidence := pg_catalog.format('%s action item(s), all done: %s', n_actions, act_text);
        fields := ARRAY['action.description', 'action.owner', 'action.due', 'action.evidence', 'implemented_at'];
        action_ids := act_ids;
        audit_seq := act_seqs OPERATOR(pg_catalog.||) (src OPERATOR(pg_catalog.->) 'implemented_at' OPERATOR(pg_catalog.->>) 'seq')::bigint;
        recorded_by := (src OPERATOR(pg_catalog.->) 'implemented_at' OPERATOR(pg_catalog.->>) 'by')::name;
        recorded_at := (src OPERATOR(pg_catalog.->) 'implemented_at' OPERATOR(pg_catalog.->>) 'at')::timestamptz;
        detail := 'implemented by ' OPERATOR(pg_catalog.||) r.implemented_by::text;
    ELSE
        status := CASE WHEN cancelled THEN 'not_applicable' ELSE 'not_yet' END;
        evidence := CASE WHEN n_actions OPERATOR(pg_catalog.>) 0 THEN act_text END;
        fields := ARRAY['action.description', 'action.owner', 'action.due', 'action.evidence'];
        action_ids := act_ids; audit_seq := act_seqs; recorded_by := NULL; recorded_at := NULL;
        detail := CASE WHEN cancelled THEN why_cancel
                       WHEN n_actions OPERATOR(pg_catalog.=) 0 THEN 'no action items yet: awaiting capa_add_action'
                       ELSE pg_catalog.format('%s of %s action item(s) done; awaiting capa_implement', n_done, n_actions) END;
    END IF;
    RETURN NEXT;

    -- d) review the effectiveness of any action taken
    item := 'd';
    requirement := 'review the effectiveness of any corrective action taken';
    action_ids := NULL;
    IF no_action THEN
        status := 'not_applicable';
        evidence := pg_catalog.left(r.no_action_justification, 200);
        fields := ARRAY['action_required', 'no_action_justification'];
        detail := 'no action was taken, so there is no effectiveness to review';
        SELECT pg_catalog.array_agg(DISTINCT (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'seq')::bigint)
          INTO audit_seq FROM pg_catalog.unnest(fields) x WHERE src OPERATOR(pg_catalog.?) x;
        recorded_by := NULL; recorded_at := NULL;
    ELSIF r.effective IS TRUE AND r.verification_evidence OPERATOR(pg_catalog.~) '[^[:space:]]' THEN
        status := 'met';
        evidence := 'effective: ' OPERATOR(pg_catalog.||) pg_catalog.left(r.verification_evidence, 200);
        fields := ARRAY['effective', 'verification_evidence', 'verified_by'];
        audit_seq := verify_seqs;
        recorded_by := (src OPERATOR(pg_catalog.->) 'verified_at' OPERATOR(pg_catalog.->>) 'by')::name;
        recorded_at := (src OPERATOR(pg_catalog.->) 'verified_at' OPERATOR(pg_catalog.->>) 'at')::timestamptz;
        verifier_owns := r.verified_by::text OPERATOR(pg_catalog.=) r.owner
            OR EXISTS (SELECT FROM @extschema@.action a
                        WHERE a.capa_id OPERATOR(@extschema@.=) r.id
                          AND a.owner OPERATOR(pg_catalog.=) r.verified_by::text);
        detail := pg_catalog.format('verified by %s, who %s', r.verified_by,
                  CASE WHEN verifier_owns THEN 'owns the record or one of its action items (segregation of duties was off)'
                       ELSE 'owns neither the record nor its action items' END)
                  OPERATOR(pg_catalog.||)
                  CASE WHEN r.ineffective_count OPERATOR(pg_catalog.>) 0
                       THEN pg_catalog.format('; found ineffective %s time(s) before', r.ineffective_count) ELSE '' END;
    ELSE
        status := CASE WHEN cancelled THEN 'not_applicable' ELSE 'not_yet' END;
        evidence := NULL; fields := ARRAY['effective', 'verification_evidence', 'verified_by'];
        audit_seq := verify_seqs; recorded_by := NULL; recorded_at := NULL;
        detail := CASE WHEN cancelled THEN why_cancel
                       WHEN r.ineffective_count OPERATOR(pg_catalog.>) 0 AND r.effective IS FALSE
                       THEN pg_catalog.format('the last review found the action ineffective (%s time(s)): new action, then capa_verify', r.ineffective_count)
                       ELSE 'awaiting capa_verify' END;
    END IF;
    RETURN NEXT;

    -- e) make changes to the ISMS, if necessary
    item := 'e';
    requirement := 'make changes to the information security management system, if necessary';
    action_ids := NULL;
    IF r.isms_changes OPERATOR(pg_catalog.~) '[^[:space:]]' THEN
        status := 'met';
        evidence := pg_catalog.left(r.isms_changes, 200);
        fields := ARRAY['isms_changes'];
        audit_seq := ARRAY[(src OPERATOR(pg_catalog.->) 'isms_changes' OPERATOR(pg_catalog.->>) 'seq')::bigint];
        recorded_by := (src OPERATOR(pg_catalog.->) 'isms_changes' OPERATOR(pg_catalog.->>) 'by')::name;
        recorded_at := (src OPERATOR(pg_catalog.->) 'isms_changes' OPERATOR(pg_catalog.->>) 'at')::timestamptz;
        detail := CASE WHEN @extschema@.capa_no_isms_change(r.isms_changes)
                       THEN 'no ISMS change made (listed in capa.closed_without_isms_change)'
                       ELSE 'ISMS changes recorded' END;
    ELSE
        status := CASE WHEN cancelled THEN 'not_applicable' ELSE 'not_yet' END;
        evidence := NULL; fields := ARRAY['isms_changes']; audit_seq := NULL; recorded_by := NULL; recorded_at := NULL;
        detail := CASE WHEN cancelled THEN why_cancel ELSE 'awaiting capa_close' END;
    END IF;
    RETURN NEXT;

    -- f) documented information: the nature of the nonconformity and the actions taken
    item := 'f';
    requirement := 'retain documented information as evidence of the nature of the nonconformities and any subsequent actions taken';
    action_ids := act_ids;
    fields := ARRAY['title', 'description', 'source', 'severity', 'audit'];
    evidence := pg_catalog.format('%s audit row(s) in %s chain(s), seq %s to %s', pg_catalog.cardinality(all_seqs),
                                  n_chains, all_seqs[1], all_seqs[pg_catalog.cardinality(all_seqs)]);
    audit_seq := all_seqs;
    recorded_by := first_by;
    recorded_at := first_at;
    IF n_problems OPERATOR(pg_catalog.=) 0 THEN
        status := 'met';
        detail := 'capa_audit_verify finds the record''s chains intact';
    ELSE
        status := 'not_met';
        detail := pg_catalog.format('capa_audit_verify finds %s problem(s): %s', n_problems, problems);
    END IF;
    RETURN NEXT;

    -- g) documented information: the results of any corrective action
    item := 'g';
    requirement := 'retain documented information as evidence of the results of any corrective action';
    action_ids := NULL;
    IF no_action THEN
        status := CASE WHEN r.state OPERATOR(@extschema@.=) 'closed'::@extschema@.capa_state OR cancelled
                       THEN 'not_applicable' ELSE 'not_yet' END;
        evidence := pg_catalog.left(r.no_action_justification, 200);
        fields := ARRAY['action_required', 'no_action_justification', 'closed_at'];
        SELECT pg_catalog.array_agg(DISTINCT (src OPERATOR(pg_catalog.->) x OPERATOR(pg_catalog.->>) 'seq')::bigint)
          INTO audit_seq FROM pg_catalog.unnest(fields) x WHERE src OPERATOR(pg_catalog.?) x;
        recorded_by := NULL; recorded_at := NULL;
        detail := CASE WHEN status OPERATOR(pg_catalog.=) 'not_yet'
                       THEN 'no action required; awaiting capa_close with the justification'
                       ELSE 'no corrective action was taken: closed with the justification' END;
    ELSIF r.state OPERATOR(@extschema@.=) 'closed'::@extschema@.capa_state AND r.effective IS TRUE THEN
        status := 'met';
        evidence := pg_catalog.format('closed; effective at the review%s: %s',
                    CASE WHEN r.ineffective_count OPERATOR(pg_catalog.>) 0
                         THEN pg_catalog.format(' after %s ineffective one(s)', r.ineffective_count) ELSE '' END,
                    pg_catalog.left(r.verification_evidence, 200));
        fields := ARRAY['effective', 'verification_evidence', 'ineffective_count', 'closed_at'];
        audit_seq := ARRAY[(src OPERATOR(pg_catalog.->) 'verification_evidence' OPERATOR(pg_catalog.->>) 'seq')::bigint,
                           (src OPERATOR(pg_catalog.->) 'closed_at' OPERATOR(pg_catalog.->>) 'seq')::bigint];
        recorded_by := (src OPERATOR(pg_catalog.->) 'closed_at' OPERATOR(pg_catalog.->>) 'by')::name;
        recorded_at := (src OPERATOR(pg_catalog.->) 'closed_at' OPERATOR(pg_catalog.->>) 'at')::timestamptz;
        detail := 'closed by ' OPERATOR(pg_catalog.||) r.closed_by::text
                  OPERATOR(pg_catalog.||) CASE WHEN r.reopen_count OPERATOR(pg_catalog.>) 0
                       THEN pg_catalog.format('; reopened %s time(s) before', r.reopen_count) ELSE '' END;
    ELSE
        status := CASE WHEN cancelled THEN 'not_applicable' ELSE 'not_yet' END;
        evidence := NULL; fields := ARRAY['effective', 'verification_evidence', 'closed_at'];
        audit_seq := NULL; recorded_by := NULL; recorded_at := NULL;
        detail := CASE WHEN cancelled THEN why_cancel
                       ELSE 'awaiting the effectiveness review and capa_close' END;
    END IF;
    RETURN NEXT;
END
$conformance$;
COMMENT ON FUNCTION @extschema@.capa_conformance(@extschema@.capa_ref) IS
    'the clause 10.2 a-g checklist of one record: for each item its status (met, not_yet, not_applicable; f: not_met when the trail does not verify), the evidence, the columns, action items and audit rows that hold it, who recorded it and when';

-- The auditor's evidence pack of one record
CREATE FUNCTION @extschema@.capa_dossier(id @extschema@.capa_ref) RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog, pg_temp
AS $dossier$
DECLARE
    r           @extschema@.register;
    last_seq    bigint;
    result      jsonb;
BEGIN
    IF capa_dossier.id IS NULL THEN
        RAISE EXCEPTION 'capa record reference must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT g.* INTO r FROM @extschema@.register g
     WHERE g.id OPERATOR(@extschema@.=) capa_dossier.id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'capa record % does not exist', capa_dossier.id USING ERRCODE = 'undefined_object';
    END IF;
    SELECT pg_catalog.max(a.seq) INTO last_seq
      FROM @extschema@.audit a WHERE a.record_id OPERATOR(@extschema@.=) r.id;

    SELECT pg_catalog.jsonb_build_object(
        'dossier_version', 1,
        'generated_at', pg_catalog.now(),
        'generated_by', CURRENT_USER,
        'record', pg_catalog.to_jsonb(r) OPERATOR(pg_catalog.||)
                  pg_catalog.jsonb_build_object('chain_head', pg_catalog.encode(r.chain_head, 'hex')),
        'related', (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                               'id', x.ref, 'exists', g.id IS NOT NULL, 'kind', g.kind,
                               'state', g.state, 'title', g.title) ORDER BY x.n), '[]'::jsonb)
                      FROM pg_catalog.unnest(r.related) WITH ORDINALITY x(ref, n)
                      LEFT JOIN @extschema@.register g ON g.id OPERATOR(@extschema@.=) x.ref),
        'actions', (SELECT COALESCE(pg_catalog.jsonb_agg(
                               pg_catalog.to_jsonb(a) OPERATOR(pg_catalog.||)
                               pg_catalog.jsonb_build_object('chain_head', pg_catalog.encode(a.chain_head, 'hex'))
                               ORDER BY a.id), '[]'::jsonb)
                      FROM @extschema@.action a WHERE a.capa_id OPERATOR(@extschema@.=) r.id),
        'audit', (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                             'seq', a.seq, 'action_id', a.action_id, 'chain_seq', a.chain_seq,
                             'step', a.step, 'from_state', a.from_state, 'to_state', a.to_state,
                             'changed', a.changed, 'actor', a.actor, 'session_actor', a.session_actor,
                             'app_user', a.app_user, 'application_name', a.application_name,
                             'client_addr', a.client_addr, 'xid', a.xid::text, 'at', a.at)
                             ORDER BY a.seq), '[]'::jsonb)
                    FROM @extschema@.audit a WHERE a.record_id OPERATOR(@extschema@.=) r.id),
        'chain_proof', pg_catalog.jsonb_build_object(
            'findings', (SELECT COALESCE(pg_catalog.jsonb_agg(pg_catalog.to_jsonb(v)
                                    ORDER BY v.seq, v.action_id, v.problem), '[]'::jsonb)
                           FROM @extschema@.capa_audit_verify(record => r.id) v),
            'chains', (SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                  'action_id', c.action_id,
                                  'head_chain_seq', c.head_seq,
                                  'head_hash', pg_catalog.encode(c.head, 'hex'),
                                  'head_matches', c.head_seq OPERATOR(pg_catalog.=) c.rows_n
                                      AND c.head OPERATOR(pg_catalog.=) c.last_hash,
                                  'rows', c.rows)
                                  ORDER BY c.action_id NULLS FIRST)
                         FROM (SELECT a.action_id,
                                      pg_catalog.count(*) AS rows_n,
                                      (pg_catalog.array_agg(a.hash ORDER BY a.chain_seq DESC))[1] AS last_hash,
                                      CASE WHEN a.action_id IS NULL THEN r.chain_seq
                                           ELSE (SELECT t.chain_seq FROM @extschema@.action t WHERE t.id OPERATOR(pg_catalog.=) a.action_id) END AS head_seq,
                                      CASE WHEN a.action_id IS NULL THEN r.chain_head
                                           ELSE (SELECT t.chain_head FROM @extschema@.action t WHERE t.id OPERATOR(pg_catalog.=) a.action_id) END AS head,
                                      pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                          'seq', a.seq, 'chain_seq', a.chain_seq, 'step', a.step,
                                          'prev_hash', pg_catalog.encode(a.prev_hash, 'hex'),
                                          'row_hash', pg_catalog.encode(a.row_hash, 'hex'),
                                          'hash', pg_catalog.encode(a.hash, 'hex'),
                                          'encoding', a.encoding) ORDER BY a.chain_seq) AS rows
                                 FROM @extschema@.audit a WHERE a.record_id OPERATOR(@extschema@.=) r.id
                                GROUP BY a.action_id) c),
            'digest', (SELECT pg_catalog.jsonb_build_object('id', d.id, 'digest', d.digest, 'max_seq', d.max_seq,
                                                            'issued_at', d.issued_at, 'issued_by', d.issued_by)
                         FROM @extschema@.digest d WHERE d.max_seq OPERATOR(pg_catalog.>=) last_seq
                        ORDER BY d.id LIMIT 1),
            'how_to_check', pg_catalog.jsonb_build_array(
                'each row: SELECT seq, pg_catalog.sha256(capa.capa_audit_bytes(seq)) = hash FROM capa.audit WHERE seq = <seq>; or hash the bytes of capa_audit_bytes(seq) with any SHA-256 tool and compare with hash',
                'each link: prev_hash of a row is the hash of the row before it in its chain (chain_seq - 1); the first has none',
                'each head: head_hash is chain_head on the register or action row, the hash of its chain''s last row',
                'everything at once: SELECT * FROM capa.capa_audit_verify(record => ''' OPERATOR(pg_catalog.||) r.id::text OPERATOR(pg_catalog.||) ''') returns no rows when intact',
                'against a digest kept outside: SELECT * FROM capa.capa_audit_verify(digest => ''<digest>'', record => ''' OPERATOR(pg_catalog.||) r.id::text OPERATOR(pg_catalog.||) ''')')),
        'checklist', (SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(c) ORDER BY c.item)
                        FROM @extschema@.capa_conformance(r.id) c))
      INTO result;
    result := result OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(
        'chain_proof', (result OPERATOR(pg_catalog.->) 'chain_proof') OPERATOR(pg_catalog.||)
            pg_catalog.jsonb_build_object('intact',
                pg_catalog.jsonb_array_length(result OPERATOR(pg_catalog.->) 'chain_proof' OPERATOR(pg_catalog.->) 'findings') OPERATOR(pg_catalog.=) 0),
        'summary', pg_catalog.jsonb_build_object(
            'id', r.id, 'kind', r.kind, 'state', r.state, 'severity', r.severity, 'title', r.title,
            'checklist', (SELECT pg_catalog.jsonb_object_agg(e OPERATOR(pg_catalog.->>) 'item', e OPERATOR(pg_catalog.->>) 'status')
                            FROM pg_catalog.jsonb_array_elements(result OPERATOR(pg_catalog.->) 'checklist') e)));
    RETURN result;
END
$dossier$;
COMMENT ON FUNCTION @extschema@.capa_dossier(@extschema@.capa_ref) IS
    'the auditor''s evidence pack of one record as jsonb: the record, related records, action items, audit trail, chain proof (rows, heads, findings of capa_audit_verify, the first digest covering it, how to re-check) and the 10.2 a-g checklist of capa_conformance';

-- 10.2 e for the reviewer: closed records whose isms_changes says no change was made
CREATE VIEW @extschema@.closed_without_isms_change WITH (security_invoker = true) AS
SELECT g.id, g.kind, g.severity, g.title, g.owner, g.org_unit, g.source,
       g.closed_at, g.closed_by, g.isms_changes,
       g.action_required, g.no_action_justification, g.root_cause, g.cause_category,
       g.reopen_count,
       (SELECT pg_catalog.max(a.seq) FROM @extschema@.audit a
         WHERE a.record_id OPERATOR(@extschema@.=) g.id AND a.action_id IS NULL
           AND a.to_state OPERATOR(@extschema@.=) 'closed'::@extschema@.capa_state) AS close_seq
  FROM @extschema@.register g
 WHERE g.state OPERATOR(@extschema@.=) 'closed'::@extschema@.capa_state
   AND @extschema@.capa_no_isms_change(g.isms_changes);
COMMENT ON VIEW @extschema@.closed_without_isms_change IS
    '10.2 e: closed records whose isms_changes records that no ISMS change was made (capa_no_isms_change), for the reviewer; close_seq is the audit row of the close';

-- Privileges of this section: functions are executable by PUBLIC when
-- created, so revoke first; readers may use everything read-only here.
REVOKE ALL ON FUNCTION
    @extschema@.capa_no_isms_change(text),
    @extschema@.capa_conformance(@extschema@.capa_ref),
    @extschema@.capa_dossier(@extschema@.capa_ref)
    FROM PUBLIC;
REVOKE ALL ON @extschema@.closed_without_isms_change FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    @extschema@.capa_no_isms_change(text),
    @extschema@.capa_conformance(@extschema@.capa_ref),
    @extschema@.capa_dossier(@extschema@.capa_ref)
    TO capa_reader;
GRANT SELECT ON @extschema@.closed_without_isms_change TO capa_reader;

--
-- Management review snapshots (ISO 27001 9.3, 10.1): the KPIs and the open
-- items frozen at one moment, tied to a digest of the audit trail taken in
-- the same transaction, hash-chained snapshot to snapshot, append-only.
--
CREATE TABLE @extschema@.review_snapshot (
    id              bigserial PRIMARY KEY,
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
    IF NEW.label OPERATOR(pg_catalog.!~) '[^[:space:]]' THEN
        RAISE EXCEPTION 'the label of a review snapshot must not be blank' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- one snapshot at a time, so each links to the one before
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('capa.review_snapshot'));
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
     WHERE r.state OPERATOR(@extschema@.<) 'closed'::@extschema@.capa_state;
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
-- whether the snapshot still gives its hash and links to the one before
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
COMMENT ON VIEW @extschema@.review_comparison IS
    'each review snapshot beside the previous one: main KPIs with deltas, open items new and gone, deltas of every numeric KPI, hash_ok and link_ok';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.review_snapshot', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.review_snapshot_id_seq', '');

REVOKE ALL ON @extschema@.review_snapshot, @extschema@.review_comparison FROM PUBLIC;
REVOKE ALL ON SEQUENCE @extschema@.review_snapshot_id_seq FROM PUBLIC;
REVOKE ALL ON FUNCTION
    @extschema@.capa_review_snapshot_hash(@extschema@.review_snapshot),
    @extschema@.capa_review_snapshot_fill(),
    @extschema@.capa_review_snapshot(text)
    FROM PUBLIC;
-- append-only for its owner too (the triggers are the second lock)
REVOKE UPDATE, DELETE, TRUNCATE ON @extschema@.review_snapshot FROM CURRENT_USER;
GRANT SELECT ON @extschema@.review_snapshot, @extschema@.review_comparison TO capa_reader;
GRANT EXECUTE ON FUNCTION @extschema@.capa_review_snapshot_hash(@extschema@.review_snapshot) TO capa_reader;
-- the ISMS manager takes snapshots: only the label is theirs to give
GRANT EXECUTE ON FUNCTION @extschema@.capa_review_snapshot(text) TO capa_admin;
GRANT INSERT (label) ON @extschema@.review_snapshot TO capa_admin;
GRANT USAGE ON SEQUENCE @extschema@.review_snapshot_id_seq TO capa_admin;
