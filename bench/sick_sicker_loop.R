# Sick-Sicker PSA in base R, in the style of the DARTH cohort tutorials:
# a loop over draws, and inside it one matrix product per cycle. Same
# model, conventions and distributions as bench/sick_sicker_psa.ini.
# Prints the mean discounted cost and QALYs per strategy.
# Usage: Rscript sick_sicker_loop.R DRAWS SEED
args <- commandArgs(trailingOnly = TRUE)
n <- as.integer(args[1]); set.seed(as.integer(args[2]))
psa <- data.frame(
  r_HD = rgamma(n, shape = 20, rate = 10000), r_HS1 = rgamma(n, shape = 30, rate = 200),
  r_S1H = rgamma(n, shape = 60, rate = 120), r_S1S2 = rgamma(n, shape = 84, rate = 800),
  hr_S1 = rlnorm(n, log(3), 0.01), hr_S2 = rlnorm(n, log(10), 0.02),
  hr_B = rlnorm(n, log(0.6), 0.02),
  c_H = rgamma(n, shape = 100, scale = 20), c_S1 = rgamma(n, shape = 177.8, scale = 22.5),
  c_S2 = rgamma(n, shape = 225, scale = 66.7), c_A = rgamma(n, shape = 73.5, scale = 163.3),
  c_B = rgamma(n, shape = 86.2, scale = 150.8),
  u_H = rbeta(n, 200, 3), u_S1 = rbeta(n, 130, 45), u_S2 = rbeta(n, 230, 230),
  u_A = rbeta(n, 300, 15))
n_t <- 75
t <- 0:n_t
wcc <- ifelse(t == 0 | t == n_t, 1/3, ifelse(t %% 2 == 1, 2/3, 4/3))
disc <- wcc / 1.03^t
prob <- function(r) 1 - exp(-r)
tmat <- function(p_HD, p_HS1, p_S1H, p_S1S2, p_S1D, p_S2D) {
  P <- matrix(0, 4, 4)
  P[1, 1] <- (1 - p_HD) * (1 - p_HS1); P[1, 2] <- (1 - p_HD) * p_HS1; P[1, 4] <- p_HD
  P[2, 1] <- (1 - p_S1D) * p_S1H; P[2, 2] <- (1 - p_S1D) * (1 - (p_S1H + p_S1S2))
  P[2, 3] <- (1 - p_S1D) * p_S1S2; P[2, 4] <- p_S1D
  P[3, 3] <- 1 - p_S2D; P[3, 4] <- p_S2D; P[4, 4] <- 1
  P
}
out <- matrix(0, n, 8)
for (i in 1:n) {
  with(psa[i, ], {
    p_S1D <- prob(r_HD * hr_S1); p_S2D <- prob(r_HD * hr_S2)
    P0 <- tmat(prob(r_HD), prob(r_HS1), prob(r_S1H), prob(r_S1S2), p_S1D, p_S2D)
    PB <- tmat(prob(r_HD), prob(r_HS1), prob(r_S1H), prob(r_S1S2 * hr_B), p_S1D, p_S2D)
    strategies <- list(
      list(P0, c(c_H, c_S1, c_S2, 0), c(u_H, u_S1, u_S2, 0)),
      list(P0, c(c_H, c_S1 + c_A, c_S2 + c_A, 0), c(u_H, u_A, u_S2, 0)),
      list(PB, c(c_H, c_S1 + c_B, c_S2 + c_B, 0), c(u_H, u_S1, u_S2, 0)),
      list(PB, c(c_H, c_S1 + c_A + c_B, c_S2 + c_A + c_B, 0), c(u_H, u_A, u_S2, 0)))
    for (s in 1:4) {
      M <- matrix(0, n_t + 1, 4); M[1, ] <- c(1, 0, 0, 0)
      for (k in 1:n_t) M[k + 1, ] <- M[k, ] %*% strategies[[s]][[1]]
      out[i, 2 * s - 1] <<- sum((M %*% strategies[[s]][[2]]) * disc)
      out[i, 2 * s] <<- sum((M %*% strategies[[s]][[3]]) * disc)
    }
  })
}
means <- colMeans(out)
names <- c("soc", "A", "B", "AB")
for (s in 1:4) cat(sprintf("%s,%.6f,%.6f\n", names[s], means[2 * s - 1], means[2 * s]))
