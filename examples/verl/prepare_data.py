"""Write rows `{prompt, ground_truth}` (JSONL) as a verl parquet file.

    python examples/verl/prepare_data.py rows.jsonl train.parquet --data-source codereward

verl reads `prompt` (chat messages), `data_source`, `reward_model.ground_truth` (passed to the reward
function as `ground_truth`) and `extra_info`. Labels are stored as JSON strings: one column type for every
label format, as verl's own code datasets do.
"""

from __future__ import annotations

import argparse
import json
import sys


def to_verl_rows(rows: list[dict], data_source: str, instruction: str) -> list[dict]:
    out = []
    for i, row in enumerate(rows):
        label = row["ground_truth"]
        out.append({
            "data_source": data_source,
            "prompt": [{"role": "user", "content": row["prompt"] + instruction}],
            "ability": "code",
            "reward_model": {"style": "rule", "ground_truth": label if isinstance(label, str) else json.dumps(label)},
            "extra_info": {"index": i},
        })
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("rows", help="JSONL with prompt and ground_truth per line")
    p.add_argument("out", help="parquet file to write")
    p.add_argument("--data-source", default="codereward")
    p.add_argument("--instruction", default="\nAnswer with the complete program in one ```python code block.")
    args = p.parse_args(argv)

    import pandas as pd

    with open(args.rows, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    pd.DataFrame(to_verl_rows(rows, args.data_source, args.instruction)).to_parquet(args.out)
    print(f"wrote {len(rows)} rows to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
