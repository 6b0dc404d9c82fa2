"""The shifted-beta-geometric (sBG) contractual retention model (Fader & Hardie 2007, "How to
Project Customer Retention"): each customer renews at the end of each period with a probability
of their own, beta-distributed across the group. Fitted by maximum likelihood, either on how many
of a cohort are still active after each period (the paper's data) or on customers observed for
different lengths of time (Steward's own: some churned in period t, others still active after t
periods, i.e. right-censored).

Valuation follows Fader & Hardie (2010), "Customer-Base Valuation in a Contractual Setting: The
Perils of Ignoring Heterogeneity": the discounted expected residual lifetime (DERL) of a customer
who has made n − 1 renewals, counted in payments, the next one (at renewal n) undiscounted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, hyp2f1

HOMOGENEOUS = 1e4  # α + β above this: a Beta with no spread to speak of


@dataclass(frozen=True)
class SbgFit:
    alpha: float
    beta: float
    log_likelihood: float
    periods: int  # the longest period of data the fit used
    customers: int

    def survival(self, t: int) -> float:
        """Share of the group still active after t periods: B(α, β+t) / B(α, β)."""
        return survival(self.alpha, self.beta, t)

    def retention_rate(self, t: int) -> float:
        """The renewal rate in period t of those active at t−1: (β+t−1)/(α+β+t−1)."""
        return (self.beta + t - 1) / (self.alpha + self.beta + t - 1)

    def derl(self, discount_rate: float, renewals: int) -> float:
        return derl(self.alpha, self.beta, discount_rate, renewals)

    @property
    def heterogeneous(self) -> bool:
        """False when the fit ran off to a single renewal rate for everyone."""
        return self.alpha + self.beta <= HOMOGENEOUS

    @property
    def mean_churn_probability(self) -> float:
        """E[θ] = α/(α+β): a new customer's chance of leaving at the first renewal."""
        return self.alpha / (self.alpha + self.beta)


def survival(alpha: float, beta: float, t: int) -> float:
    return float(np.exp(betaln(alpha, beta + t) - betaln(alpha, beta)))


def derl(alpha: float, beta: float, discount_rate: float, renewals: int) -> float:
    """Discounted expected residual lifetime of a customer who has made `renewals` (n − 1)
    renewals and is about to decide on the next (Fader & Hardie 2010, eq. 6):

        DERL = B(α, β+n) / B(α, β+n−1) · ₂F₁(1, β+n; α+β+n; 1/(1+d))

    = Σ_{t≥n} S(t)/S(n−1) / (1+d)^(t−n): payments the customer is expected to make from the next
    renewal on, per period's payment, discounted at d per period."""
    if discount_rate <= 0:
        raise ValueError("the discount rate must be above zero")
    if renewals < 0:
        raise ValueError("renewals must be zero or more")
    if alpha + beta > HOMOGENEOUS:
        # The data show no spread between customers (α, β run off together): the sBG model is
        # then the geometric one with renewal rate β/(α+β), where ₂F₁ loses its precision.
        return constant_retention_value(beta / (alpha + beta), discount_rate)
    n = renewals + 1
    next_renewal = (beta + n - 1) / (alpha + beta + n - 1)
    return float(next_renewal * hyp2f1(1.0, beta + n, alpha + beta + n, 1 / (1 + discount_rate)))


def constant_retention_value(retention: float, discount_rate: float) -> float:
    """The same expected discounted payments when every customer renews with one rate r (the
    textbook form that ignores heterogeneity): Σ_{k≥0} r^(k+1) / (1+d)^k = r(1+d)/(1+d−r)."""
    if not 0 <= retention < 1 + discount_rate:
        raise ValueError("retention must be in [0, 1]")
    return retention * (1 + discount_rate) / (1 + discount_rate - retention)


def _log_likelihood(alpha: float, beta: float, lost: np.ndarray, alive: np.ndarray) -> float:
    """lost[t−1] customers churned in period t; alive[t] customers were last seen active after
    t periods (censored there; alive[0] adds nothing)."""
    t = np.arange(1, len(lost) + 1)
    # P(T = t) = B(α+1, β+t−1) / B(α, β): churned at the end of period t.
    churn_log_p = betaln(alpha + 1, beta + t - 1) - betaln(alpha, beta)
    s = np.arange(len(alive))
    survival_log_p = betaln(alpha, beta + s) - betaln(alpha, beta)
    return float(np.sum(lost * churn_log_p) + np.sum(alive * survival_log_p))


def _fit(lost: np.ndarray, alive: np.ndarray) -> SbgFit:
    if lost.sum() == 0:
        raise ValueError("no customer has churned yet: the model cannot be fitted")
    if alive[1:].sum() + lost[1:].sum() == 0:
        raise ValueError("every customer churned in the first period: the model cannot be fitted")

    def objective(log_params: np.ndarray) -> float:
        alpha, beta = np.exp(log_params)
        return -_log_likelihood(alpha, beta, lost, alive)

    result = minimize(
        objective,
        x0=np.zeros(2),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 10_000},
    )
    alpha, beta = np.exp(result.x)
    return SbgFit(
        float(alpha),
        float(beta),
        -float(result.fun),
        periods=max(len(lost), len(alive) - 1),
        customers=int(lost.sum() + alive.sum()),
    )


def fit_sbg(active: Sequence[int]) -> SbgFit:
    """`active[0]` customers start; `active[t]` are still active after period t."""
    counts = np.asarray(active, dtype=float)
    if counts.ndim != 1 or len(counts) < 3:
        raise ValueError("give the cohort's size and at least two later counts")
    if np.any(np.diff(counts) > 0) or counts[-1] < 0 or counts[0] <= 0:
        raise ValueError("active counts must start positive and never increase")
    lost = counts[:-1] - counts[1:]
    alive = np.zeros(len(counts))
    alive[-1] = counts[-1]
    return _fit(lost, alive)


def fit_sbg_lifetimes(churned_in: Sequence[int], survived: Sequence[int]) -> SbgFit:
    """Customers observed for different spans: `churned_in` holds, for each churned customer,
    the period (1, 2, …) at whose end they left; `survived`, for each customer still active, how
    many periods they have renewed through so far (0 when the first is still running)."""
    churned = np.asarray(churned_in, dtype=int)
    alive_for = np.asarray(survived, dtype=int)
    if (churned < 1).any() or (alive_for < 0).any():
        raise ValueError("churn periods start at 1 and survived periods at 0")
    horizon = max(int(churned.max(initial=0)), int(alive_for.max(initial=0)) + 1)
    lost = np.bincount(churned - 1, minlength=horizon).astype(float)
    alive = np.bincount(alive_for, minlength=horizon + 1).astype(float)
    return _fit(lost, alive)
