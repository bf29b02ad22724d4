/*
 * fuzz_severity.c: capa_severity's text and binary I/O (see fuzz_label.h).
 * The oracle is docs/reference.md's list of severities (Types), least to most severe.
 */
#define LABEL_SET	capa_severity_labels
#define LABEL_IN	capa_severity_in
#define LABEL_OUT	capa_severity_out
#define LABEL_RECV	capa_severity_recv
#define LABEL_SEND	capa_severity_send
#define LABEL_NAMES "observation", "minor", "major", "critical"
#include "fuzz_label.h"
