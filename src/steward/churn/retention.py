"""The shifted-beta-geometric (sBG) contractual retention model (Fader & Hardie 2007, "How to
Project Customer Retention"): each customer renews each period with a probability of their own,
beta-distributed across the cohort. Fitted by maximum likelihood on how many of a cohort are
still active after each period."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln


@dataclass(frozen=True)
class SbgFit:
    alpha: float
    beta: float
    log_likelihood: float
    periods: int  # periods of data the fit used

    def survival(self, t: int) -> float:
        """Share of the cohort still active after t periods: B(α, β+t) / B(α, β)."""
        return survival(self.alpha, self.beta, t)

    def retention_rate(self, t: int) -> float:
        """The renewal rate in period t of those active at t−1: (β+t−1)/(α+β+t−1)."""
        return (self.beta + t - 1) / (self.alpha + self.beta + t - 1)


def survival(alpha: float, beta: float, t: int) -> float:
    return float(np.exp(betaln(alpha, beta + t) - betaln(alpha, beta)))


def _log_likelihood(alpha: float, beta: float, active: np.ndarray) -> float:
    periods = len(active) - 1
    t = np.arange(1, periods + 1)
    # P(T = t) = B(α+1, β+t−1) / B(α, β): churned in period t.
    churn_log_p = betaln(alpha + 1, beta + t - 1) - betaln(alpha, beta)
    lost = active[:-1] - active[1:]
    survivors_log_p = betaln(alpha, beta + periods) - betaln(alpha, beta)
    return float(np.sum(lost * churn_log_p) + active[-1] * survivors_log_p)


def fit_sbg(active: Sequence[int]) -> SbgFit:
    """`active[0]` customers start; `active[t]` are still active after period t."""
    counts = np.asarray(active, dtype=float)
    if counts.ndim != 1 or len(counts) < 3:
        raise ValueError("give the cohort's size and at least two later counts")
    if np.any(np.diff(counts) > 0) or counts[-1] < 0 or counts[0] <= 0:
        raise ValueError("active counts must start positive and never increase")

    def objective(log_params: np.ndarray) -> float:
        alpha, beta = np.exp(log_params)
        return -_log_likelihood(alpha, beta, counts)

    result = minimize(
        objective,
        x0=np.zeros(2),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 10_000},
    )
    alpha, beta = np.exp(result.x)
    return SbgFit(float(alpha), float(beta), -float(result.fun), len(counts) - 1)
