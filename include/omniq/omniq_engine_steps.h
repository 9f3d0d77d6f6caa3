/*
 * omniq_engine_steps.h - the function library's calls whose whole step runs in the omniq
 * engine (engine/, a Redis module), with the engine command a caller sends instead of the
 * FCALL: `<command> oq:{tenant} <the function's arguments>`, the same reply. Sending the
 * command spares the function's own call (about 5 us of Redis time a step). A reply of
 * ["library"] (nothing written) means the engine hands that case to the library: send the
 * FCALL then. One list for omniq's Kamailio module and bench/route's driver, so that the
 * benchmark sends what production sends.
 */
#ifndef OMNIQ_ENGINE_STEPS_H
#define OMNIQ_ENGINE_STEPS_H

/* X(function name, engine command) */
#define OMNIQ_ENGINE_STEPS(X) \
	X("oq_accept", "OMNIQ.ACCEPT") \
	X("oq_enqueue", "OMNIQ.ENQUEUE") \
	X("oq_close", "OMNIQ.CLOSE") \
	X("oq_append", "OMNIQ.APPEND") \
	X("oq_append_once", "OMNIQ.APPEND_ONCE") \
	X("oq_append_many", "OMNIQ.APPEND_MANY") \
	X("oq_reply", "OMNIQ.REPLY")

#endif
