/*
 * fuzz_state.c: capa_state's text and binary I/O (see fuzz_label.h).
 * The oracle is docs/reference.md's list of states (Types), in lifecycle order.
 */
#define LABEL_SET	capa_state_labels
#define LABEL_IN	capa_state_in
#define LABEL_OUT	capa_state_out
#define LABEL_RECV	capa_state_recv
#define LABEL_SEND	capa_state_send
#define LABEL_NAMES "open", "contained", "analysed", "planned", \
	"implemented", "verified", "closed", "cancelled"
#include "fuzz_label.h"
