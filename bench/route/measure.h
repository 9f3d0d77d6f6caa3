/*
 * measure.h - the scenarios route_bench runs, one subcommand each; route_bench.c connects
 * and hands them their arguments (argv[0] is the subcommand's name).
 */
#ifndef ROUTE_MEASURE_H
#define ROUTE_MEASURE_H

int cmd_cycles(int argc, char **argv);    /* measure_cycles.c */
int cmd_latency(int argc, char **argv);   /* latency.c */
int cmd_soak_prep(int argc, char **argv); /* soak.c */
int cmd_soak(int argc, char **argv);      /* soak.c */

#endif
