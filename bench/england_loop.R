# The England model (params/england.ini) in base R, in the style of the
# DARTH cohort tutorials: a loop over PSA draws, and inside it one matrix
# product per cycle. A reference for bench/run and a check on the engine:
# its deterministic base case must give netsave's numbers (--check).
#
#   Rscript england_loop.R [--draws N] [--seed S]  PSA: mean society net
#                                                  savings per modality
#                                                  (discounted, pooled over
#                                                  the subgroups)
#   Rscript england_loop.R --base [--full]         the deterministic base
#                                                  case (also --draws 0)
#   Rscript england_loop.R --check DIR             compare the base case with
#                                                  `netsave run --csv DIR`
#
# Exit status 3: the file's model is not the one translated here (other
# states, or subgroup overrides that are not plain numbers).
#
# The model's structure is translated by hand from england.ini (states,
# factorised transitions, derived parameters, stream values, the
# strategies' parameter choices); the numbers are read from the files
# ([parameters] keys holding a plain number, [subgroups], [discount],
# [perspectives], stream outcomes and payer tags, [uncertainty], [model]
# cycle_length and horizon, gdp_deflator.csv). netsave's conventions
# (model/engine.c, docs/model-format.md): transitions of cycle c at time
# (c - 1) x cycle; state values at point t at time t x cycle, weighted
# 1/2, 1, ..., 1, 1/2; transition values of cycle c count at point c in
# full; discounting (1 + r)^-(t x cycle); subgroups pooled by weight; PSA
# draws override a parameter for every strategy and subgroup.
# bench/england_numpy.py is the same model in NumPy.

args <- commandArgs(trailingOnly = TRUE)
opt <- list(draws = NA, seed = 1, base = FALSE, full = FALSE, check = NA, ini = NA)
i <- 1
while (i <= length(args)) {
  a <- args[i]
  if (a %in% c("--draws", "--seed", "--check", "--ini")) {
    opt[[substring(a, 3)]] <- args[i + 1]; i <- i + 2
  } else if (a %in% c("--base", "--full")) {
    opt[[substring(a, 3)]] <- TRUE; i <- i + 1
  } else stop("unknown argument ", a)
}
here <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
root <- dirname(dirname(normalizePath(if (length(here)) here else "bench/england_loop.R")))
if (is.na(opt$ini)) opt$ini <- file.path(root, "params", "england.ini")

# ---------------------------------------------------------------- inputs
read_ini <- function(path) {
  sec <- list(); cur <- NULL
  for (line in trimws(readLines(path, encoding = "UTF-8"))) {
    if (line == "" || substr(line, 1, 1) %in% c(";", "#")) next
    if (substr(line, 1, 1) == "[") {
      cur <- sub("^\\[([^]]*)\\].*$", "\\1", line)
      if (is.null(sec[[cur]])) sec[[cur]] <- character(0)
      next
    }
    eq <- regexpr("=", line, fixed = TRUE)
    key <- trimws(substr(line, 1, eq - 1))
    val <- trimws(sub("[[:space:]];.*$", "", substr(line, eq + 1, nchar(line))))
    sec[[cur]][key] <- val
  }
  sec
}
num <- function(x) suppressWarnings(as.numeric(x))

# Exit status 3: the file holds a model other than the one translated here
# (bench/run then leaves this reference out), which compared as it stands
# would only mislead.
out_of_date <- function(...) {
  message("england_loop: ", ..., ": the model has moved on from this translation")
  quit(save = "no", status = 3)
}
STATES <- c(paste0("in_", rep(c("abst", "nondaily", "daily"), each = 2), c("_crime", "_nocrime")),
            paste0("out_", rep(c("abst", "nondaily", "daily"), each = 2), c("_crime", "_nocrime")),
            "dead")
ini <- read_ini(opt$ini)
if (!identical(names(ini$states), STATES))
  out_of_date(opt$ini, " has ", length(ini$states), " states, not the ", length(STATES), " translated here")
cycle <- as.numeric(ini$model[["cycle_length"]])
n_t <- round(as.numeric(ini$model[["horizon"]]) / cycle)
p_num <- num(ini$parameters)
params <- setNames(p_num, names(ini$parameters))[!is.na(p_num)]
disc_rate <- setNames(as.numeric(ini$discount), names(ini$discount))
perspectives <- lapply(ini$perspectives, function(v) trimws(strsplit(v, ",")[[1]]))
stream_sec <- grep("^stream\\.", names(ini), value = TRUE)
streams <- data.frame(name = sub("^stream\\.", "", stream_sec), stringsAsFactors = FALSE)
streams$outcome <- sapply(stream_sec, function(s) ini[[s]][["outcome"]])
tags <- lapply(stream_sec, function(s) {
  t <- ini[[s]]["tags"]; if (is.na(t)) character(0) else trimws(strsplit(t, ",")[[1]])
})
streams$payer <- sapply(tags, function(t) {
  p <- grep("^payer:", t, value = TRUE); if (length(p)) sub("^payer:", "", p[1]) else NA
})
streams$intervention <- sapply(tags, function(t) "intervention" %in% t)
K <- nrow(streams)
col <- setNames(seq_len(K), streams$name)
cost_outcome <- ini$model[["cost_outcome"]]
place_outcome <- ini$model[["place_outcome"]]
subgroups <- if (!is.null(ini$subgroups)) setNames(as.numeric(ini$subgroups), names(ini$subgroups)) else c(all = 1)
sub_over <- lapply(names(subgroups), function(g) {
  kv <- ini[[paste0("subgroup.", g)]]
  if (is.null(kv)) return(numeric(0))
  if (any(!startsWith(names(kv), "parameters.")) || any(is.na(num(kv))))
    out_of_date("subgroup ", g, ": only numeric parameters.* overrides are translated")
  setNames(num(kv), sub("^parameters\\.", "", names(kv)))
})
names(sub_over) <- names(subgroups)
unc <- ini$uncertainty
tab <- ini[["table.gdp_deflator"]]
defl <- read.csv(file.path(dirname(opt$ini), tab[["file"]]), stringsAsFactors = FALSE)
defl <- defl[, c(tab[["key_column"]], tab[["value_column"]])]
gdp_deflator <- function(year) {
  k <- which(defl[, 1] <= year)
  if (!length(k)) stop("gdp_deflator(", year, ") is before the table")
  defl[max(k), 2]
}
weights <- c(0.5, rep(1, n_t - 1), 0.5)                        # life table
disc <- sapply(streams$outcome, function(o) (1 + disc_rate[[o]])^-((0:n_t) * cycle))  # (T+1) x K

U <- c("ab", "nd", "dl")
MODALITIES <- c("rehab", "inpatient", "mmt", "mr")
STRATEGIES <- c(MODALITIES, paste0(MODALITIES, "_none"))
PAIRS <- list(c("dl", "nd"), c("dl", "ab"), c("nd", "dl"), c("nd", "ab"), c("ab", "nd"), c("ab", "dl"))
CRIME <- list(shop = 1999, dburg = 1999, cburg = 1999, theft = 1999,
              rob = 2015, tfv = 2015, tov = 2015, fraud = 2015)

# ---------------------------------------------------------------- the model
# [parameters.STRATEGY]: each strategy picks its modality's values;
# comparators keep the base values but take their modality's intake mix.
strategy_parameters <- function(q, s) {
  none <- endsWith(s, "_none"); mod <- sub("_none$", "", s)
  res <- mod %in% c("rehab", "inpatient")
  q[["p0_daily"]] <- q[[if (res) "p0_daily_res" else "p0_daily_meth"]]
  q[["p0_abst"]] <- q[[if (res) "p0_abst_res" else "p0_abst_meth"]]
  if (none) {
    for (p in PAIRS) q[[sprintf("tx_%s_%s_mod", p[1], p[2])]] <- q[[sprintf("nh_%s_%s", p[1], p[2])]]
    return(q)
  }
  q[["start_tx"]] <- 1
  if (mod == "rehab") {
    q[["rr_worse_post"]] <- q[["rr_worse_post_rehab"]]; q[["rr_better_post"]] <- q[["rr_better_post_rehab"]]
  } else if (mod == "inpatient") {
    q[["rr_worse_post"]] <- q[["rr_worse_post_rehab"]] * q[["ratio_worse_post_inpatient"]]
    q[["rr_better_post"]] <- q[["rr_better_post_rehab"]] * q[["ratio_better_post_inpatient"]]
  } else if (mod == "mmt") {
    q[["rr_worse_post"]] <- q[["rr_worse_post_mmt"]]; q[["rr_better_post"]] <- q[["rr_better_post_mmt"]]
  } else {
    q[["rr_worse_post"]] <- q[["rr_worse_post_mmt"]] * q[["ratio_worse_post_mr"]]
    q[["rr_better_post"]] <- q[["rr_better_post_mmt"]] * q[["ratio_better_post_mr"]]
  }
  for (k in c("leave_q1", "leave_q2", "leave_y1", "leave_later", "wk_leave_q1", "wk_leave"))
    q[[k]] <- q[[paste0(k, "_", mod)]]
  q[["rr_die_tx"]] <- q[[if (res) "rr_die_res" else "rr_die_meth"]]
  q[["p_exd"]] <- q[[if (res) "exd_res" else "exd_meth"]]
  q[["cost_week"]] <- q[[paste0("cost_week_", if (res) mod else "meth")]]
  q[["util_gain"]] <- q[["util_tx_gain"]]
  q[["client_week"]] <- if (res) 0 else q[["client_week_meth"]]
  for (p in PAIRS) {
    v <- q[[sprintf("tx_%s_%s_%s", p[1], p[2], mod)]]
    if (!res && paste(p, collapse = "_") %in% c("dl_nd", "dl_ab", "nd_ab")) v <- v * q[["meth_eff"]]
    q[[sprintf("tx_%s_%s_mod", p[1], p[2])]] <- v
  }
  if (res) q[["share_aftercare"]] <- q[[paste0("share_aftercare_", mod)]]
  q
}

# A 3 x 3 use-transition matrix (rows from, columns to: ab, nd, dl) from
# its off-diagonal entries x[["dl_nd"]] etc.; the diagonal is the rest.
use_matrix <- function(x) {
  dl_dl <- 1 - x[["dl_nd"]] - x[["dl_ab"]]
  nd_nd <- 1 - x[["nd_dl"]] - x[["nd_ab"]]
  ab_ab <- 1 - x[["ab_dl"]] - x[["ab_nd"]]
  matrix(c(ab_ab, x[["ab_nd"]], x[["ab_dl"]],
           x[["nd_ab"]], nd_nd, x[["nd_dl"]],
           x[["dl_ab"]], x[["dl_nd"]], dl_dl), 3, 3, byrow = TRUE)
}

# (use, offending) block of 6 x 6 transitions, states ordered use x
# (crime, nocrime): A[u, v] x O_v[o, o'] (A[EXPAND, EXPAND] is
# kronecker(A, matrix(1, 2, 2)), without kronecker's overhead).
EXPAND <- rep(1:3, each = 2)
blocks <- function(A, Obig) A[EXPAND, EXPAND] * Obig

# State values (13) from per-use values (ab, nd, dl) in and out of treatment.
state_vector <- function(v_in, v_out, crime_only = FALSE) {
  o <- if (crime_only) c(1, 0) else c(1, 1)
  c(rep(v_in, each = 2) * o, rep(v_out, each = 2) * o, 0)
}

# One strategy of one subgroup for one set of parameter values q.
# Returns values[t + 1, j] (what stream j counts at point t, weighted,
# undiscounted) and trace[t + 1, s].
run_strategy <- function(q) {
  up <- function(year) gdp_deflator(q[["price_year"]]) / gdp_deflator(year)
  pc <- q[["cyc"]]; wk_cyc <- q[["wk_year"]] * pc; shrink <- q[["effect_shrinkage"]]
  # Initial state: the intake mix, in treatment or not.
  p_use <- c(q[["p0_abst"]], 1 - q[["p0_abst"]] - q[["p0_daily"]], q[["p0_daily"]])
  c0 <- c(q[["c0_ab"]], q[["c0_nd"]], q[["c0_dl"]])
  st <- q[["start_tx"]]
  m <- c(as.vector(rbind(st * p_use * c0, st * p_use * (1 - c0))),
         as.vector(rbind((1 - st) * p_use * c0, (1 - st) * p_use * (1 - c0))), 0)
  # Use transitions in treatment (constant) and out of it (time).
  tx <- list()
  for (p in PAIRS) {
    nh <- q[[sprintf("nh_%s_%s", p[1], p[2])]]
    tx[[paste(p, collapse = "_")]] <- nh + (1 - shrink) * (q[[sprintf("tx_%s_%s_mod", p[1], p[2])]] - nh)
  }
  TX <- use_matrix(tx)
  out_use <- function(tau) {
    worse <- 1 + (1 - shrink) * (q[["rr_worse_post"]] - 1) * exp(-q[["post_decay"]] * tau)
    better <- 1 + (1 - shrink) * (q[["rr_better_post"]] - 1) * exp(-q[["post_decay"]] * tau)
    use_matrix(list(dl_nd = q[["nh_dl_nd"]] * better, dl_ab = q[["nh_dl_ab"]] * better,
                    nd_dl = q[["nh_nd_dl"]] * worse, nd_ab = q[["nh_nd_ab"]] * better,
                    ab_nd = q[["nh_ab_nd"]] * worse, ab_dl = q[["nh_ab_dl"]] * worse))
  }
  # Offending given the next use level v: O_v = [cc cn; nc nn].
  Ocat <- do.call(cbind, lapply(U, function(v)
    matrix(c(1 - q[[paste0("stop_", v)]], q[[paste0("stop_", v)]],
             q[[paste0("start_", v)]], 1 - q[[paste0("start_", v)]]), 2, 2, byrow = TRUE)))
  Obig <- rbind(Ocat, Ocat, Ocat)
  alc_mult <- 1 + q[["heavy_share"]] * (q[["rr_die_alc"]] - 1)
  smr <- c(q[["smr_ab"]], q[["smr_nd"]], q[["smr_dl"]])
  mort_now <- function(tau) q[["mort_gp"]] * exp(q[["gompertz"]] * (tau - 2)) * alc_mult
  p_leave <- function(tau) if (tau < 0.25) q[["leave_q1"]] else if (tau < 0.5) q[["leave_q2"]] else
    if (tau < 1) q[["leave_y1"]] else q[["leave_later"]]
  wk_leave_now <- function(tau) if (tau < 0.25) q[["wk_leave_q1"]] else q[["wk_leave"]]
  od_share <- q[["od_share"]]; p_exd <- q[["p_exd"]]
  od_care_gbp <- q[["p_amb_od"]] * (q[["uc_amb"]] + q[["uc_ae_adm"]]) * up(2013) +
    q[["p_adm_od"]] * q[["uc_adm"]] * up(2016)
  od_fatal_gbp <- q[["uc_amb"]] * up(2013)
  tx_week_gbp <- q[["cost_week"]] * up(2011)
  aftercare_gbp <- q[["share_aftercare"]] * q[["aftercare_weeks"]] * q[["cost_week_meth"]] * up(2011)
  client_gbp <- q[["client_week"]] * up(2015)
  funeral_gbp <- q[["uc_funeral"]] * up(2015)

  # State values that do not change over time: SV[state, stream].
  SV <- matrix(0, 13, K, dimnames = list(NULL, streams$name))
  SV[1:12, "treatment_other"] <- q[["other_tx_cycle"]]
  intensity <- c(q[["int_ab"]], q[["int_nd"]], q[["int_dl"]])
  cm <- q[["crime_mult"]]
  for (x in names(CRIME)) {
    n <- q[[paste0("n_", x)]] * cm * pc
    gbp <- q[[paste0("n_", x)]] * cm * q[[paste0("uc_", x)]] * up(CRIME[[x]]) * pc
    ant <- q[[sprintf("sh_%s_ant", x)]]; con <- q[[sprintf("sh_%s_con", x)]]; pol <- q[[sprintf("pol_%s", x)]]
    rsp <- 1 - ant - con
    value <- list(ant = gbp * ant, con = gbp * con, pol = gbp * rsp * pol, cjs = gbp * rsp * (1 - pol))
    if (x == "rob") {
      value$con <- gbp * (con - q[["sh_rob_hlt"]]); value$hlt <- gbp * q[["sh_rob_hlt"]]
    }
    SV[, paste0("offences_", x)] <- state_vector(n * intensity, n * intensity, TRUE)
    for (cc in names(value))
      SV[, sprintf("crime_%s_%s", x, cc)] <- state_vector(value[[cc]] * intensity, value[[cc]] * intensity, TRUE)
  }
  sell_n <- q[["n_sell"]] * cm * pc
  sell_pol <- sell_n * q[["p_arrest_sale"]] * q[["uc_police_drug"]] * up(2007)
  sell_cjs <- sell_n * q[["p_arrest_sale"]] * q[["p_convict"]] *
    (q[["uc_court"]] + q[["p_custody"]] * q[["custody_years"]] * q[["uc_prison_year"]] * up(2016))
  SV[, "offences_sell"] <- state_vector(sell_n * intensity, sell_n * intensity, TRUE)
  SV[, "crime_sell_pol"] <- state_vector(sell_pol * intensity, sell_pol * intensity, TRUE)
  SV[, "crime_sell_cjs"] <- state_vector(sell_cjs * intensity, sell_cjs * intensity, TRUE)
  qv <- function(prefix) sapply(U, function(u) q[[paste0(prefix, u)]])
  ae <- qv("ae_") * q[["uc_ae"]] * up(2013) * pc
  adm <- qv("adm_") * q[["uc_adm"]] * up(2016) * pc
  hcv <- qv("share_") * q[["hcv_susc"]] * q[["hcv_inc"]] * pc
  hiv <- qv("share_") * q[["hiv_inc"]] * pc
  SV[, "health_emergency"] <- state_vector(ae, ae)
  SV[, "health_inpatient"] <- state_vector(adm, adm)
  SV[, "health_hcv"] <- state_vector(hcv * q[["uc_hcv"]] * up(2016), hcv * q[["uc_hcv"]] * up(2016))
  SV[, "health_hiv"] <- state_vector(hiv * q[["uc_hiv"]] * up(2013), hiv * q[["uc_hiv"]] * up(2013))
  SV[, "infections_hcv"] <- state_vector(hcv, hcv)
  SV[, "infections_hiv"] <- state_vector(hiv, hiv)
  SV[, "health_alcohol"] <- state_vector(rep(q[["heavy_share"]] * q[["alc_cost_year"]] * q[["rr_alc_tx"]] * pc, 3),
                                         rep(q[["heavy_share"]] * q[["alc_cost_year"]] * pc, 3))
  util <- qv("util_")
  SV[, "qalys"] <- state_vector((util + q[["util_gain"]]) * pc, util * pc)
  SV[, "life_years"] <- state_vector(rep(pc, 3), rep(pc, 3))
  spend_cyc <- q[["spend_month"]] * 12 * pc * q[["spend_mult"]] * up(2017)
  SV[, "drug_spend"] <- state_vector(c(0, spend_cyc * q[["spend_nd"]], spend_cyc),
                                     c(0, spend_cyc * q[["spend_nd"]], spend_cyc))
  # health_overdose and overdoses_nonfatal vary with time (below); the
  # other streams have transition values only.

  values <- matrix(0, n_t + 1, K); trace <- matrix(0, n_t + 1, 13)
  for (t in 0:n_t) {
    trace[t + 1, ] <- m
    tau <- t * cycle
    pd_out <- -expm1(-(mort_now(tau) * smr) * pc)
    pd_in <- -expm1(-(mort_now(tau) * smr * q[["rr_die_tx"]]) * pc)
    nfod <- state_vector(q[["nf_ratio"]] * pd_in * od_share, q[["nf_ratio"]] * pd_out * od_share)
    v <- as.vector(m %*% SV)
    v[col[["overdoses_nonfatal"]]] <- sum(m * nfod)
    v[col[["health_overdose"]]] <- sum(m * (nfod * od_care_gbp))
    values[t + 1, ] <- values[t + 1, ] + weights[t + 1] * v
    if (t == n_t) break
    # Cycle t + 1, evaluated at time t x cycle.
    pl <- p_leave(tau)
    stay <- (1 - pd_in) * (1 - pl)
    go <- (1 - pd_in) * pl * (1 - p_exd)
    die_in <- pd_in + (1 - pd_in) * pl * p_exd
    fod_in <- (pd_in * od_share + (1 - pd_in) * pl * p_exd) / die_in
    P <- matrix(0, 13, 13)
    P[1:6, 1:6] <- blocks(stay * TX, Obig)
    P[1:6, 7:12] <- blocks(go * TX, Obig)
    P[1:6, 13] <- rep(die_in, each = 2)
    P[7:12, 7:12] <- blocks((1 - pd_out) * out_use(tau), Obig)
    P[7:12, 13] <- rep(pd_out, each = 2)
    P[13, 13] <- 1
    # Transition values of cycle t + 1 count at point t + 1, in full.
    flow <- m * P
    in_in <- sum(flow[1:6, 1:6]); in_out <- sum(flow[1:6, 7:12])
    in_dead <- colSums(matrix(flow[1:6, 13], 2)); out_dead <- sum(flow[7:12, 13])
    leave <- in_out + sum(in_dead); wkl <- wk_leave_now(tau)
    b <- numeric(K)
    b[col[["treatment"]]] <- tx_week_gbp * wk_cyc * in_in + tx_week_gbp * wkl * leave
    b[col[["treatment_weeks"]]] <- wk_cyc * in_in + wkl * leave
    b[col[["place_years"]]] <- wk_cyc / q[["wk_year"]] * in_in + wkl / q[["wk_year"]] * leave
    b[col[["aftercare"]]] <- aftercare_gbp * in_out
    b[col[["clients_treatment"]]] <- client_gbp * wk_cyc * in_in + client_gbp * wkl * leave
    b[col[["clients_funeral"]]] <- funeral_gbp * (sum(in_dead) + out_dead)
    b[col[["health_overdose"]]] <- sum(fod_in * od_fatal_gbp * in_dead) + od_share * od_fatal_gbp * out_dead
    b[col[["deaths"]]] <- sum(in_dead) + out_dead
    b[col[["overdoses_fatal"]]] <- sum(fod_in * in_dead) + od_share * out_dead
    values[t + 2, ] <- b
    m <- as.vector(m %*% P)                      # the one matrix product per cycle
  }
  list(values = values, trace = trace)
}

# Every subgroup and strategy for one set of draws (a named vector that
# overrides parameters everywhere); pooled as subgroup "all".
run_all <- function(draw = numeric(0), keep = TRUE) {
  out <- list(); pooled <- list(); traces <- list()
  for (g in names(subgroups)) {
    q <- params; q[names(sub_over[[g]])] <- sub_over[[g]]; q[names(draw)] <- draw
    q <- as.list(q)
    out[[g]] <- list()
    for (s in STRATEGIES) {
      r <- run_strategy(strategy_parameters(q, s))
      if (keep) out[[g]][[s]] <- r$values
      w <- subgroups[[g]]
      pooled[[s]] <- if (is.null(pooled[[s]])) w * r$values else pooled[[s]] + w * r$values
      traces[[s]] <- if (is.null(traces[[s]])) w * r$trace else traces[[s]] + w * r$trace
    }
  }
  out$all <- pooled; out$trace <- traces
  out
}

counted <- function(perspective)
  which(streams$outcome == cost_outcome &
        (perspective == "all_payers" | streams$payer %in% perspectives[[perspective]]))

# netsave's ledger: treatment cost, savings, net savings, by year, payback.
ledger <- function(vk, vc, perspective, discounted) {
  saving <- (vc - vk) * (if (discounted) disc else 1)
  js <- counted(perspective)
  interv <- js[streams$intervention[js]]; other <- js[!streams$intervention[js]]
  treatment <- -sum(saving[, interv]); savings <- sum(saving[, other])
  n_years <- ceiling(n_t * cycle - 1e-9)
  year <- sapply(0:n_t, function(t) if (t == 0) 1 else min(ceiling(t * cycle - 1e-9), n_years))
  by_year <- as.vector(tapply(rowSums(saving[, js, drop = FALSE]), factor(year, 1:n_years), sum))
  cum <- cumsum(by_year)
  list(treatment = treatment, savings = savings, net = savings - treatment,
       payback = if (any(cum > 0)) which(cum > 0)[1] else NA, by_year = by_year, cum = cum)
}

sample_draws <- function(n) {
  d <- list()
  for (name in names(unc)) {
    kind <- sub("\\(.*$", "", gsub(" ", "", unc[[name]]))
    a <- suppressWarnings(as.numeric(strsplit(sub("^[a-z]+\\((.*)\\)$", "\\1", gsub(" ", "", unc[[name]])), ",")[[1]]))
    d[[name]] <- switch(kind,
      gamma = rgamma(n, shape = a[1]^2 / a[2]^2, scale = a[2]^2 / a[1]),
      beta = { k <- a[1] * (1 - a[1]) / a[2]^2 - 1; rbeta(n, a[1] * k, (1 - a[1]) * k) },
      lognormal = { s <- sqrt(log(1 + a[2]^2 / a[1]^2)); rlnorm(n, log(a[1]) - s^2 / 2, s) },
      normal = rnorm(n, a[1], a[2]),
      uniform = runif(n, a[1], a[2]),
      triangular = { u <- runif(n); f <- (a[2] - a[1]) / (a[3] - a[1])
        ifelse(u < f, a[1] + sqrt(u * (a[3] - a[1]) * (a[2] - a[1])),
               a[3] - sqrt((1 - u) * (a[3] - a[1]) * (a[3] - a[2]))) },
      fixed = NULL,
      stop("unknown distribution ", kind, " for ", name))
  }
  as.data.frame(d)
}

# ---------------------------------------------------------------- commands
first_persp <- names(perspectives)[1]
g17 <- function(x) sprintf("%.17g", x)

if (!is.na(opt$check)) {
  res <- run_all()
  worst <- 0; worst_what <- ""; counts <- setNames(numeric(0), character(0))
  cmp <- function(what, mine, theirs, file) {
    theirs <- if (theirs == "") NA else as.numeric(theirs)
    rel <- if (is.na(theirs) || is.na(mine)) { if (is.na(theirs) && is.na(mine)) 0 else Inf }
           else { s <- max(abs(mine), abs(theirs)); if (s == 0) 0 else abs(mine - theirs) / s }
    counts[file] <<- (if (is.na(counts[file])) 0 else counts[file]) + 1
    if (rel > worst) { worst <<- rel; worst_what <<- sprintf("%s: %s: mine %s, netsave %s", file, what, g17(mine), g17(theirs)) }
    rel
  }
  rd <- function(f) read.csv(file.path(opt$check, f), colClasses = "character")
  sm <- rd("summary.csv")
  for (i in seq_len(nrow(sm))) {
    r <- sm[i, ]
    v <- res$all[[r$strategy]][, col[[r$stream]]]
    cmp(paste(r$strategy, r$stream, "total"), sum(v), r$total, "summary.csv")
    cmp(paste(r$strategy, r$stream, "discounted_total"), sum(v * disc[, col[[r$stream]]]),
        r$discounted_total, "summary.csv")
  }
  place_j <- which(streams$outcome == place_outcome)
  head_rows <- list()
  ns <- rd("net_savings.csv")
  for (i in seq_len(nrow(ns))) {
    r <- ns[i, ]
    vk <- res[[r$subgroup]][[r$strategy]]; vc <- res[[r$subgroup]][[r$comparator]]
    l <- ledger(vk, vc, r$perspective, r$discounted == "1")
    tag <- paste(r$strategy, r$subgroup, r$perspective, paste0("disc=", r$discounted))
    cmp(paste(tag, "treatment_cost"), l$treatment, r$treatment_cost, "net_savings.csv")
    cmp(paste(tag, "savings"), l$savings, r$savings, "net_savings.csv")
    rel <- cmp(paste(tag, "net_savings"), l$net, r$net_savings, "net_savings.csv")
    cmp(paste(tag, "benefit_cost_ratio"), if (l$treatment > 0) l$savings / l$treatment else NA,
        r$benefit_cost_ratio, "net_savings.csv")
    cmp(paste(tag, "payback_year"), l$payback, r$payback_year, "net_savings.csv")
    extra <- sum(vk[, place_j]) - sum(vc[, place_j])
    cmp(paste(tag, "net_savings_per_place_year"), if (extra != 0) l$net / extra else NA,
        r$net_savings_per_place_year, "net_savings.csv")
    if (r$subgroup == "all" && r$discounted == "1" && r$perspective != "all_payers")
      head_rows[[length(head_rows) + 1]] <- list(r$strategy, r$perspective, as.numeric(r$net_savings), l$net, rel)
  }
  py <- rd("payers.csv")
  for (i in seq_len(nrow(py))) {
    r <- py[i, ]
    s <- (res[[r$subgroup]][[r$comparator]] - res[[r$subgroup]][[r$strategy]]) *
      (if (r$discounted == "1") disc else 1)
    js <- which(streams$outcome == cost_outcome & streams$payer %in% r$payer)
    cmp(paste(r$strategy, r$subgroup, r$discounted, r$payer), sum(s[, js]), r$savings, "payers.csv")
  }
  by <- rd("net_savings_by_year.csv")
  cache <- list()
  for (i in seq_len(nrow(by))) {
    r <- by[i, ]
    key <- paste(r$strategy, r$comparator, r$subgroup, r$perspective, r$discounted)
    if (is.null(cache[[key]]))
      cache[[key]] <- ledger(res[[r$subgroup]][[r$strategy]], res[[r$subgroup]][[r$comparator]],
                             r$perspective, r$discounted == "1")
    y <- as.integer(r$year)
    cmp(paste(key, "year", y, "net_savings"), cache[[key]]$by_year[y], r$net_savings, "net_savings_by_year.csv")
    cmp(paste(key, "year", y, "cumulative"), cache[[key]]$cum[y], r$cumulative_net_savings, "net_savings_by_year.csv")
  }
  tr <- rd("trace.csv")
  for (i in seq_len(nrow(tr))) {
    r <- tr[i, ]
    cmp(paste(r$strategy, r$cycle, r$state), res$trace[[r$strategy]][as.integer(r$cycle) + 1, match(r$state, STATES)],
        r$occupancy, "trace.csv")
  }
  oc <- rd("outcomes.csv")
  for (i in seq_len(nrow(oc))) {
    r <- oc[i, ]
    js <- which(streams$outcome == r$outcome)
    mine <- sum(res[[r$subgroup]][[r$strategy]][, js])
    cmp(paste(r$strategy, r$subgroup, r$outcome, "total"), mine, r$total, "outcomes.csv")
    cmp(paste(r$strategy, r$subgroup, r$outcome, "difference"), mine - sum(res[[r$subgroup]][[r$comparator]][, js]),
        r$difference, "outcomes.csv")
  }
  cat(sprintf("England model, base case: this script against netsave (discounted, pooled over %s)\n",
              paste(names(subgroups), collapse = ", ")))
  cat(sprintf("%-10s %-14s %20s %20s %10s\n", "strategy", "perspective", "netsave", "england_loop.R", "rel. diff"))
  for (h in head_rows) cat(sprintf("%-10s %-14s %20.10f %20.10f %10.1e\n", h[[1]], h[[2]], h[[3]], h[[4]], h[[5]]))
  cat(sprintf("compared: %s\n", paste(sprintf("%s %d values", names(counts), counts), collapse = ", ")))
  cat(sprintf("largest relative difference: %.3g (%s)\n", worst, worst_what))
  if (worst > 1e-6) { cat("FAIL: a relative difference is above 1e-6\n"); quit(status = 1) }
  cat("OK: every value within 1e-6\n")
} else if (opt$base || is.na(opt$draws) || as.integer(opt$draws) == 0) {
  res <- run_all()
  for (s in MODALITIES)
    cat(sprintf("%s %s\n", s, g17(ledger(res$all[[s]], res$all[[paste0(s, "_none")]], first_persp, TRUE)$net)))
  if (opt$full) {
    outcomes <- unique(streams$outcome)
    cat("\nDiscounted totals per outcome (pooled):\n")
    cat(sprintf("%-15s", "strategy"), paste0(paste(sprintf("%20s", outcomes), collapse = " "), "\n"))
    for (s in STRATEGIES) {
      v <- colSums(res$all[[s]] * disc)
      cat(sprintf("%-15s", s), paste0(paste(sprintf("%20.12g", sapply(outcomes, function(o) sum(v[streams$outcome == o]))),
                                            collapse = " "), "\n"))
    }
    for (p in c(names(perspectives), "all_payers")) {
      cat(sprintf("\nPerspective %s (discounted, pooled): treatment cost, savings, net savings, payback year\n", p))
      for (s in MODALITIES) {
        l <- ledger(res$all[[s]], res$all[[paste0(s, "_none")]], p, TRUE)
        cat(sprintf("%-10s %s %s %s %s\n", s, g17(l$treatment), g17(l$savings), g17(l$net), l$payback))
      }
    }
  }
} else {
  n <- as.integer(opt$draws); set.seed(as.integer(opt$seed))
  start <- proc.time()[["elapsed"]]
  draws <- sample_draws(n)
  js <- counted(first_persp)
  net <- matrix(0, n, length(MODALITIES), dimnames = list(NULL, MODALITIES))
  for (i in 1:n) {
    res <- run_all(unlist(draws[i, , drop = FALSE]), keep = FALSE)$all
    for (s in MODALITIES)
      net[i, s] <- sum(((res[[paste0(s, "_none")]] - res[[s]]) * disc)[, js])
  }
  wall <- proc.time()[["elapsed"]] - start
  for (s in MODALITIES) cat(sprintf("%s %.6f\n", s, mean(net[, s])))
  message(sprintf("%d draws in %.3f s: %.2f draws/s; Monte Carlo standard errors: %s", n, wall, n / wall,
                  paste(sprintf("%s %.2f", MODALITIES, apply(net, 2, sd) / sqrt(n)), collapse = ", ")))
}
