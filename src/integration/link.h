/*-------------------------------------------------------------------------
 *
 * link.h
 *	  The primary key of a link's target table, shared by capa_link and
 *	  capa_unlink (link.c) and the broken-link check (link_check.c).
 *
 * IDENTIFICATION
 *	  src/integration/link.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_LINK_H
#define CAPA_LINK_H

#include "postgres.h"

#include "utils/rel.h"

/*
 * The primary key of rel: its index (InvalidOid if none), its number of
 * key columns (0 if none), and the first one's attribute number
 */
extern int	capa_link_primary_key(Relation rel, Oid *pkey, AttrNumber *attnum);

/* The btree equality of the primary key index's operator class, or InvalidOid */
extern Oid	capa_link_key_equality(Oid pkey);

/* keystr read by keytype's input function (22P02 and friends) */
extern Datum capa_link_key_value(Oid keytype, const char *keystr);

/* "SELECT FROM <rel> t WHERE t.<key> OPERATOR(<eqop>) $1 LIMIT 1" */
extern char *capa_link_lookup_query(Relation rel, AttrNumber attnum, Oid eqop);

#endif							/* CAPA_LINK_H */
