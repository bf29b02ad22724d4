-- capa install script, part 10: the types capa_state, capa_severity and
-- capa_ref, with their comparison, operators, operator classes, min() and
-- max() of references, and casts to and from text.

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
-- Comparison: full operator metadata, btree and hash operator classes; the
-- same block per type.  The functions call core's int2/int8 comparison and
-- hash functions through C entry points of capa.so (src/types/compare.c), not as
-- LANGUAGE internal aliases: fmgr looks an alias up by name, a linear search
-- over every built-in function, each time a plan, a scan key or an index
-- predicate sets up a call.
--
CREATE FUNCTION @extschema@.capa_state_eq(@extschema@.capa_state, @extschema@.capa_state) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_state_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_state_ne(@extschema@.capa_state, @extschema@.capa_state) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_state_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_state_lt(@extschema@.capa_state, @extschema@.capa_state) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_state_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_state_le(@extschema@.capa_state, @extschema@.capa_state) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_state_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_state_gt(@extschema@.capa_state, @extschema@.capa_state) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_state_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_state_ge(@extschema@.capa_state, @extschema@.capa_state) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_state_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_state_cmp(@extschema@.capa_state, @extschema@.capa_state) RETURNS integer
    AS 'MODULE_PATHNAME', 'capa_state_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_state_hash(@extschema@.capa_state) RETURNS integer
    AS 'MODULE_PATHNAME', 'capa_state_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_state_hash_extended(@extschema@.capa_state, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'capa_state_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

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

CREATE FUNCTION @extschema@.capa_severity_eq(@extschema@.capa_severity, @extschema@.capa_severity) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_severity_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_severity_ne(@extschema@.capa_severity, @extschema@.capa_severity) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_severity_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_severity_lt(@extschema@.capa_severity, @extschema@.capa_severity) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_severity_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_severity_le(@extschema@.capa_severity, @extschema@.capa_severity) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_severity_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_severity_gt(@extschema@.capa_severity, @extschema@.capa_severity) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_severity_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_severity_ge(@extschema@.capa_severity, @extschema@.capa_severity) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_severity_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_severity_cmp(@extschema@.capa_severity, @extschema@.capa_severity) RETURNS integer
    AS 'MODULE_PATHNAME', 'capa_severity_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_severity_hash(@extschema@.capa_severity) RETURNS integer
    AS 'MODULE_PATHNAME', 'capa_severity_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_severity_hash_extended(@extschema@.capa_severity, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'capa_severity_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

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

CREATE FUNCTION @extschema@.capa_ref_eq(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_ref_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_ref_ne(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_ref_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_ref_lt(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_ref_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_ref_le(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_ref_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_ref_gt(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_ref_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_ref_ge(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS boolean
    AS 'MODULE_PATHNAME', 'capa_ref_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_ref_cmp(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS integer
    AS 'MODULE_PATHNAME', 'capa_ref_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_ref_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME', 'capa_ref_sortsupport' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.capa_ref_hash(@extschema@.capa_ref) RETURNS integer
    AS 'MODULE_PATHNAME', 'capa_ref_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
CREATE FUNCTION @extschema@.capa_ref_hash_extended(@extschema@.capa_ref, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'capa_ref_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;

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
CREATE FUNCTION @extschema@.capa_ref_smaller(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS @extschema@.capa_ref
    AS 'MODULE_PATHNAME', 'capa_ref_smaller' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.capa_ref_larger(@extschema@.capa_ref, @extschema@.capa_ref) RETURNS @extschema@.capa_ref
    AS 'MODULE_PATHNAME', 'capa_ref_larger' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
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

-- the types' I/O and comparison functions are harmless and needed by anyone
-- who can see a column of these types
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
