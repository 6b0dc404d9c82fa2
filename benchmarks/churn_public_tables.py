"""Benchmark: `steward churn evaluate` against plain logistic regression and plain gradient
boosting on public churn tables, on the same stratified folds (the table in docs/churn.md).

Each table is read as the CLI reads it (`read_table`, inferred column roles, leakage check),
then cross-validated three ways in one process: the Steward pipeline (candidates chosen or
stacked by validation inside each training fold), scikit-learn's LogisticRegression on
one-hot/standardised columns, and HistGradientBoostingClassifier with its defaults on the raw
columns. The former pipeline (the spline logistic regression and shallow trees averaged, as
before the choice by validation) runs too, so the change shows in figures.

    python benchmarks/churn_public_tables.py DIRECTORY [--folds 5] [--seed 0] [--only NAME]

DIRECTORY holds the files below (see docs/churn.md for where each comes from; only the Telco
and Iranian tables ship with Steward, in tests/data, because only their licences allow it).
A missing file is reported and skipped.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from steward.churn.tabular import (
    _cross_validated,
    build_model,
    evaluate_table,
    prepare,
    read_table,
)

# name -> (file, target column)
TABLES = {
    "IBM Telco (telecom)": ("telco-customer-churn.csv", "Churn"),
    "Bank customers (banking)": ("Churn_Modelling.csv", "Exited"),
    "Credit-card customers (banking)": ("BankChurners.csv", "Attrition_Flag"),
    "Orange / BigML telecom": ("churn-bigml.csv", "Churn"),
    "Iranian telecom (UCI 563)": ("iranian-churn.csv", "Churn"),
    "RavenStack (synthetic SaaS)": ("ravenstack_accounts.csv", "churn_flag"),
}
TIE = 0.001  # differences below this are reported as ties (the tests use the same)


def _verdict(model: float, best: float, higher_is_better: bool) -> str:
    gap = (model - best) if higher_is_better else (best - model)
    if gap > TIE:
        return "best"
    return "tied" if gap >= -TIE else "WORSE"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default=None, help="Run only tables whose name contains this.")
    args = parser.parse_args()
    print(
        "| table | rows | churned | Steward AUC / Brier | plain LR AUC / Brier |"
        " plain GB AUC / Brier | former average AUC / Brier | AUC | Brier | time |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, (file, target) in TABLES.items():
        if args.only and args.only.lower() not in name.lower():
            continue
        path = args.directory / file
        if not path.is_file():
            print(f"| {name} | missing: {path} |")
            continue
        frame = read_table(path)
        started = time.perf_counter()
        result = evaluate_table(frame, target, folds=args.folds, seed=args.seed)
        seconds = time.perf_counter() - started
        x, y, plan = prepare(frame, target)
        former, _, _ = _cross_validated(
            lambda plan=plan: build_model(plan, args.seed), x, y, args.folds, args.seed
        )
        best_auc = max(result.baseline.auc, result.boosting.auc)
        best_brier = min(result.baseline.brier, result.boosting.brier)
        print(
            f"| {name} | {result.rows:,} | {result.positives / result.rows:.1%} "
            f"| **{result.model.auc:.4f} / {result.model.brier:.4f}** "
            f"| {result.baseline.auc:.4f} / {result.baseline.brier:.4f} "
            f"| {result.boosting.auc:.4f} / {result.boosting.brier:.4f} "
            f"| {former.auc:.4f} / {former.brier:.4f} "
            f"| {_verdict(result.model.auc, best_auc, True)} "
            f"| {_verdict(result.model.brier, best_brier, False)} | {seconds:.0f} s |",
            flush=True,
        )


if __name__ == "__main__":
    main()
