/*
 * api_face.h - RPC commands for the omniq C API members no shipped face reaches (api_face.c).
 */
#ifndef OQF_API_FACE_H
#define OQF_API_FACE_H

/* mod_init: bind omniq when it is loaded, register the commands. 0, or -1 logged. */
int oqf_api_face_init(void);

#endif
