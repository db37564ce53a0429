#!/usr/bin/env python3
"""Quick start for a fresh machine with only Python 3.11+.

    python3 dev.py run      # install into .venv, then run the whole loop on examples/listening.yaml
    python3 dev.py test     # install into .venv (with test tools), then run the test suite

Anything after the command is passed on (`python3 dev.py test -k config`,
`python3 dev.py run --week 2026-W47`). The install is redone only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".earshot-install"


def ensure_installed() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an old python3
        sys.exit(f"Earshot needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print(
        "installing Earshot and its dependencies into .venv (first time: a minute or two)",
        flush=True,
    )
    pip = [str(PYTHON), "-m", "pip", "--disable-pip-version-check", "install", "-q"]
    for args in (["--upgrade", "pip"], ["-e", f"{ROOT}[test]"]):
        # pip's and setuptools' chatter is shown only when the install fails.
        done = subprocess.run([*pip, *args], capture_output=True, text=True)
        if done.returncode != 0:
            sys.stderr.write(done.stdout + done.stderr)
            sys.exit(f"installing into {VENV} failed (pip exit status {done.returncode})")
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    ensure_installed()
    if command == "run":
        args = [str(BIN / "earshot"), "run", "--config", "examples/listening.yaml", *rest]
    else:
        args = [str(PYTHON), "-m", "pytest", *rest]
    return subprocess.call(args, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
