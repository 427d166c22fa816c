"""Write the golden tables of the current code into `before/` (see `cases.py`).

python tests/golden/make_fixture.py
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import FIXTURE, ROOT, cases, run_case


def main() -> None:
    if FIXTURE.exists():
        shutil.rmtree(FIXTURE)
    FIXTURE.mkdir()
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    hashes: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases():
            out = Path(tmp) / case.name
            run_case(case, out)
            (FIXTURE / case.name).mkdir()
            for table in case.tables:
                shutil.copyfile(out / table, FIXTURE / case.name / table)
            for table in case.hashed:
                digest = hashlib.sha256((out / table).read_bytes()).hexdigest()
                hashes[f"{case.name}/{table}"] = digest
            print(case.name, flush=True)
    (FIXTURE / "hashes.json").write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n")
    (FIXTURE / "COMMIT").write_text(commit + "\n")


if __name__ == "__main__":
    main()
