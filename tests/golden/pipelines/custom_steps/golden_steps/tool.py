"""The container step's command: write how many files each split of the examples has."""

import argparse
import json
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    files = {p.name: len(list(p.iterdir())) for p in sorted(Path(args.examples).glob("Split-*"))}
    Path(args.out).mkdir(parents=True, exist_ok=True)
    (Path(args.out) / "files.json").write_text(json.dumps({"label": args.label, "files": files}))


if __name__ == "__main__":
    main()
