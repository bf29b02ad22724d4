/*-------------------------------------------------------------------------
 *
 * compare.c
 *	  The comparison and hash support functions of capa_state,
 *	  capa_severity and capa_ref: core's int2 and int8 functions, called
 *	  through C entry points of capa's own.
 *
 * Why not LANGUAGE internal aliases of core's functions (as 0.1.0 declared
 * them): fmgr finds an alias's C function by its name, a linear strcmp
 * over all ~2900 built-in functions, each time it sets up a call (every
 * index scan key, every operator in a plan's expressions, every partial
 * index predicate of every statement); a C function is found in a hash
 * table by its OID.  The results are core's, bit for bit, so indexes built
 * with either stay valid.
 *
 * IDENTIFICATION
 *	  src/types/compare.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/fmgrprotos.h"

/* capa_<type>_<name>() calls core's <core>() with the same arguments */
#define CAPA_ALIAS(name, core) \
	PG_FUNCTION_INFO_V1(name); \
	Datum \
	name(PG_FUNCTION_ARGS) \
	{ \
		return core(fcinfo); \
	}

CAPA_ALIAS(capa_state_eq, int2eq)
CAPA_ALIAS(capa_state_ne, int2ne)
CAPA_ALIAS(capa_state_lt, int2lt)
CAPA_ALIAS(capa_state_le, int2le)
CAPA_ALIAS(capa_state_gt, int2gt)
CAPA_ALIAS(capa_state_ge, int2ge)
CAPA_ALIAS(capa_state_cmp, btint2cmp)
CAPA_ALIAS(capa_state_hash, hashint2)
CAPA_ALIAS(capa_state_hash_extended, hashint2extended)

CAPA_ALIAS(capa_severity_eq, int2eq)
CAPA_ALIAS(capa_severity_ne, int2ne)
CAPA_ALIAS(capa_severity_lt, int2lt)
CAPA_ALIAS(capa_severity_le, int2le)
CAPA_ALIAS(capa_severity_gt, int2gt)
CAPA_ALIAS(capa_severity_ge, int2ge)
CAPA_ALIAS(capa_severity_cmp, btint2cmp)
CAPA_ALIAS(capa_severity_hash, hashint2)
CAPA_ALIAS(capa_severity_hash_extended, hashint2extended)

CAPA_ALIAS(capa_ref_eq, int8eq)
CAPA_ALIAS(capa_ref_ne, int8ne)
CAPA_ALIAS(capa_ref_lt, int8lt)
CAPA_ALIAS(capa_ref_le, int8le)
CAPA_ALIAS(capa_ref_gt, int8gt)
CAPA_ALIAS(capa_ref_ge, int8ge)
CAPA_ALIAS(capa_ref_cmp, btint8cmp)
CAPA_ALIAS(capa_ref_sortsupport, btint8sortsupport)
CAPA_ALIAS(capa_ref_hash, hashint8)
CAPA_ALIAS(capa_ref_hash_extended, hashint8extended)
CAPA_ALIAS(capa_ref_smaller, int8smaller)
CAPA_ALIAS(capa_ref_larger, int8larger)
