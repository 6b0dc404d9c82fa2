"""Benchmark: the workspace churn model trained on 100,000 accounts and scoring 1,000,000,
beside an untuned logistic regression (the issue's baseline) in the same process, on the same
rows, with the memory each phase took.

Steward's model is what `steward churn train` stores: splines + logistic regression averaged
with gradient-boosted trees, calibrated with a sigmoid map on account-grouped folds
(`training.fit_calibrated`). Scoring is what the worker runs every day: each account's
probability *and* its top reasons (`explain.scored`: one extra prediction per reason group,
in slices of 50,000 rows). The baseline fits and predicts probabilities only.

The snapshots are synthetic and seeded, drawn from a known churn model (usage trend,
utilisation, engagement, escalations, NPS, a steep first-year hazard, an interaction of
segment and revenue change), with the missing values real workspaces have (no usage data,
no NPS). Both models are also scored on 100,000 held-out rows against that truth.

    python benchmarks/churn_model.py [--accounts 100000] [--score 1000000] [--seed 7]

Memory is the peak resident set a phase adds over what the process held before it (Linux
`VmHWM`, reset per phase through /proc/self/clear_refs).
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import brier_score_loss, roc_auc_score

from steward.churn import explain, training
from steward.churn.features import FEATURES
from steward.churn.tabular import baseline_model

SEGMENTS = np.array(["smb", "mid_market", "enterprise"])
TIERS = np.array(["standard", "key", "strategic"])


def synthetic_snapshots(rows: int, seed: int) -> pd.DataFrame:
    """Customer snapshots with the model's features and a `churned` outcome drawn from a known
    probability (`true_probability`)."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(SEGMENTS, rows, p=[0.55, 0.3, 0.15])
    tier = np.where(segment == "enterprise", rng.choice(TIERS, rows, p=[0.3, 0.4, 0.3]), "standard")
    has_usage = rng.random(rows) > 0.1
    usage_trend = np.where(has_usage, np.clip(rng.normal(0.0, 0.3, rows), -1, 2), np.nan)
    utilisation = np.where(has_usage, rng.beta(4, 3, rows), np.nan)
    adoption = np.where(has_usage, rng.beta(3, 4, rows), np.nan)
    recency = np.where(rng.random(rows) > 0.05, rng.exponential(25, rows), np.nan)
    touches = rng.poisson(4, rows).astype(float)
    open_escalations = rng.poisson(0.2, rows).astype(float)
    escalations_90d = open_escalations + rng.poisson(0.2, rows)
    nps = np.where(rng.random(rows) > 0.6, rng.choice(np.arange(-100, 101, 10), rows), np.nan)
    arr_change_90d = np.where(rng.random(rows) > 0.1, rng.normal(0.02, 0.12, rows), np.nan)
    arr_change_365d = np.where(rng.random(rows) > 0.3, rng.normal(0.08, 0.25, rows), np.nan)
    base_arr = {"smb": 9.5, "mid_market": 10.8, "enterprise": 12.0}
    arr = np.exp(np.array([base_arr[s] for s in segment]) + rng.normal(0, 0.5, rows))
    tenure = rng.exponential(700, rows) + 30
    days_to_renewal = rng.integers(1, 366, rows).astype(float)
    logit = (
        -1.6
        - 2.2 * np.nan_to_num(usage_trend, nan=-0.1)
        - 1.8 * (np.nan_to_num(utilisation, nan=0.45) - 0.55)
        - 1.0 * (np.nan_to_num(adoption, nan=0.35) - 0.4)
        + 0.015 * np.minimum(np.nan_to_num(recency, nan=120.0), 120)
        + 0.55 * open_escalations
        - 0.008 * np.nan_to_num(nps, nan=0.0)
        + 1.1 * np.exp(-tenure / 300)  # the first year is the riskiest
        - 0.15 * np.log(arr / 10_000)
        - 2.5 * np.nan_to_num(arr_change_90d, nan=0.0) * (segment != "smb")
        - 0.4 * (tier == "strategic")
    )
    true_probability = 1 / (1 + np.exp(-logit))
    return pd.DataFrame(
        {
            "account_id": np.arange(rows),
            "usage_trend": usage_trend,
            "utilisation": utilisation,
            "adoption": adoption,
            "engagement_recency": recency,
            "touches_90d": touches,
            "open_escalations": open_escalations,
            "escalations_90d": escalations_90d,
            "nps": nps,
            "arr_change_90d": arr_change_90d,
            "arr_change_365d": arr_change_365d,
            "arr": arr,
            "products": rng.integers(1, 5, rows).astype(float),
            "tenure_days": tenure,
            "renewals": np.floor(tenure / 365),
            "days_to_renewal": days_to_renewal,
            "auto_renew": (rng.random(rows) < 0.4).astype(float),
            "segment": segment,
            "tier": tier,
            "true_probability": true_probability,
            "churned": (rng.random(rows) < true_probability).astype(int),
        }
    )


def _resident_kib() -> tuple[int, int]:
    status = Path("/proc/self/status").read_text()
    peak = re.search(r"VmHWM:\s+(\d+)", status)
    now = re.search(r"VmRSS:\s+(\d+)", status)
    assert peak and now
    return int(peak.group(1)), int(now.group(1))


def measured(what: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, seconds, MiB of peak resident memory the call added)."""
    Path("/proc/self/clear_refs").write_text("5")  # peak := current
    _, before = _resident_kib()
    started = time.perf_counter()
    result = what()
    elapsed = time.perf_counter() - started
    peak, _ = _resident_kib()
    return result, elapsed, (peak - before) / 1024


def score_with_reasons(estimator: Any, reference: dict[str, Any], frame: pd.DataFrame) -> int:
    """The worker's daily scoring: every probability with its reasons (counted, not kept)."""
    reasons = 0
    for _, top in explain.scored(estimator, reference, frame):
        reasons += len(top)
    return reasons


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--score", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    train = synthetic_snapshots(args.accounts, args.seed)
    holdout = synthetic_snapshots(100_000, args.seed + 1)
    to_score = synthetic_snapshots(args.score, args.seed + 2)
    x, y = train[FEATURES], train["churned"].to_numpy()
    groups = train["account_id"].to_numpy()
    print(
        f"{args.accounts:,} training accounts ({y.mean():.1%} churned), "
        f"{args.score:,} to score, {len(FEATURES)} features"
    )

    steward, steward_fit_s, steward_fit_mib = measured(
        lambda: training.fit_calibrated(x, y, groups, seed=args.seed)
    )
    baseline, base_fit_s, base_fit_mib = measured(lambda: baseline_model(training.plan()).fit(x, y))
    reference = training.reference_values(x)

    def probabilities(model: Any) -> Callable[[], np.ndarray]:
        return lambda: training.predict(model, to_score)

    _, steward_p_s, steward_p_mib = measured(probabilities(steward))
    _, base_p_s, base_p_mib = measured(probabilities(baseline))
    reasons, reasons_s, reasons_mib = measured(
        lambda: score_with_reasons(steward, reference, to_score)
    )

    truth = holdout["true_probability"].to_numpy()
    outcome = holdout["churned"].to_numpy()
    print("\nheld-out 100,000 rows     AUC     Brier   mean |p − true p|")
    for label, model in (("Steward", steward), ("logistic baseline", baseline)):
        p = training.predict(model, holdout)
        print(
            f"{label:22} {roc_auc_score(outcome, p):7.4f} {brier_score_loss(outcome, p):9.4f} "
            f"{np.abs(p - truth).mean():12.4f}"
        )
    print(
        f"{'the true probabilities':22} {roc_auc_score(outcome, truth):7.4f} "
        f"{brier_score_loss(outcome, truth):9.4f} {0:12.4f}"
    )

    rows = [
        (f"train on {args.accounts:,}", steward_fit_s, steward_fit_mib, base_fit_s, base_fit_mib),
        (f"probabilities for {args.score:,}", steward_p_s, steward_p_mib, base_p_s, base_p_mib),
        (f"+ reasons for {args.score:,}", reasons_s, reasons_mib, None, None),
    ]
    print(f"\n{'phase':32} {'Steward s':>10} {'MiB':>7} {'baseline s':>11} {'MiB':>7} {'ratio':>7}")
    for label, s_time, s_mib, b_time, b_mib in rows:
        base = f"{b_time:11.2f} {b_mib:7.0f} {s_time / b_time:7.1f}" if b_time else f"{'—':>11}"
        print(f"{label:32} {s_time:10.2f} {s_mib:7.0f} {base}")
    print(
        f"\nscoring with reasons: {args.score / reasons_s:,.0f} accounts/s, {reasons:,} reasons; "
        f"ratio = Steward time / baseline time (both in this run)"
    )


if __name__ == "__main__":
    main()
