/* netsave: the engine's workspace (model/engine.h's struct
 * ns_workspace), shared by the engine (engine.c) and its allocation
 * (workspace.c). Private to model/. */
#ifndef NS_MODEL_ENGINE_PRIV_H
#define NS_MODEL_ENGINE_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "model/engine.h"

/* Arrays marked "x L" hold one value per lane for each element, element
 * by element: a[i * L + l]. */
struct ns_workspace {
    size_t L;        /* lanes */
    bool no_trace;   /* leave the results' traces alone (see engine.h) */
    double *vars;    /* [n_vars] x L: built-in names, then parameters */
    double *occ;     /* [n_expanded] x L: occupancy at the current point */
    double *next;    /* [n_expanded] x L: occupancy being built */
    double *probs;   /* [n_states] x L: probabilities of one row */
    double *acc;     /* [L] a stream's value at a point, being summed */
    double *sum;     /* [L] a row's probabilities, being summed */
    double *flow;    /* [L] one move's flow */
    double *trace;   /* [n_states] x L: occupancy summed over tunnels */
    /* Expressions that do not depend on time in state are evaluated once
     * and reused while their inputs cannot change: those that depend on
     * nothing for the whole strategy run, those that depend on time for
     * one time point or cycle. Most of a model's expressions are of the
     * first kind, and a pattern's expression is shared by all the moves it
     * matches. stamp[x] is the clock when known_value[x] was computed; the
     * clock moves on at every run and every change of time; run_start and
     * time_start are its value when the run started and when time (in
     * years) last changed: time point t and cycle t + 1 share it. */
    double *known_value;  /* [n_exprs] x L */
    unsigned long long *stamp; /* [n_exprs] */
    unsigned long long clock, run_start, time_start;
    size_t point;         /* the time point time was last set from */
    /* The parameters to recompute at every time point for the strategy
     * being run, in evaluation order: those that depend on time and are
     * not overridden. Listing them once spares a pass over every
     * parameter twice a cycle. */
    size_t *timed;        /* [n_params] */
    size_t n_timed;
    double *discount;     /* [n_outcomes * (n_cycles + 1)] the factors */
    /* The transition values of each move from -> to: tv_list[tv_start[
     * from * n_states + to] ..], in their own order, so that booking a
     * flow does not scan every transition value of the model. */
    size_t *tv_start;     /* [n_states * n_states + 1] */
    size_t *tv_list;      /* [n_tvalues] */
    /* A cycle's transition values are summed per stream here, lanes side
     * by side, then added to each lane's results once (the sum starts
     * from 0 as the results' does, so it is the same). */
    size_t *tv_streams;   /* [n_streams] the streams with any */
    size_t n_tv_streams;
    double *tv_sum;       /* [n_streams] x L */
    /* Per strategy run. Rows whose probabilities depend on neither time
     * nor time in state are computed and checked in the first cycle only
     * (row_probs[s * n_states ..], row_kind[s]); the state values of
     * each stream that are constant are kept in sv. */
    double *row_probs;    /* [n_states * n_states] x L */
    unsigned char *row_kind; /* [n_states] ROW_* */
    double *sv;           /* [n_streams * n_states] x L */
    unsigned char *sv_kind; /* [n_streams * n_states] SV_* */
    /* Stream j's terms: sv_start[j] .. sv_start[j + 1] - 1; term l is
     * occ[sv_at[l]] * sv_val[l] (a constant, one term per tunnel), or,
     * when sv_dyn[l], the value of state sv_at[l] evaluated then. */
    size_t *sv_start;     /* [n_streams + 1] */
    size_t *sv_at;        /* [n_streams * n_expanded] */
    double *sv_val;       /* [n_streams * n_expanded] x L */
    unsigned char *sv_dyn; /* [n_streams * n_expanded] */
    bool sv_listed;       /* the terms are in use */
    /* Once nothing can change any more (every row known, every value a
     * constant, nothing timed), the rest of the run is a fixed linear
     * recurrence: move l takes occ[mv_from[l]] * mv_prob[l] to
     * next[mv_to[l]], in the order step() moves them. */
    size_t *mv_from, *mv_to; /* [n_expanded * n_states] */
    double *mv_prob;      /* [n_expanded * n_states] x L */
    size_t n_moves;
    /* For native settled kernels (model/jit.h), with NS_JIT_LANES lanes:
     * each stream's running totals (undiscounted, discounted) and its
     * discount factors at every point; a scale of 1 for every stream. */
    double *totals;       /* [2 * n_streams] x L */
    /* For native step kernels: the values of rows computed per tunnel
     * slot, as ns_jit_slot_width lays them out. */
    double *slot_vals;    /* [n_slot_vals] x L */
    size_t n_slot_vals;
    double *stream_disc;  /* [n_streams * (n_cycles + 1)] */
    double *ones;         /* [n_streams] */
};

#endif
