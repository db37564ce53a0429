"""Earshot installs as one top-level package, `earshot`, and ignores look-alike folders.

The wheel is built from a copy of the checkout (no build isolation: nothing is downloaded) and
installed without dependencies into a folder of its own; a full `earshot run` of the example
config, offline, then runs from that copy in a working directory that holds empty
`warehouse/`, `reports/`, `nlp/`, `listeners/`, `pipelines/` and `explore/`
folders.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("pipelines", "listeners", "nlp", "warehouse", "reports", "explore")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "checkout"
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in files:
        src, dst = ROOT / name, source / name
        if not src.exists() and not src.is_symlink():
            continue  # deleted in the work tree, not yet in git
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            dst.symlink_to(os.readlink(src))
        elif src.is_file():
            shutil.copy2(src, dst)
    out = tmp / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "--disable-pip-version-check",
            "-w",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("earshot-*.whl")
    return built


def test_the_wheel_holds_only_the_earshot_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {
        "earshot",
        wheel.name.split("-py")[0] + ".dist-info",
    }
    for part in PARTS:
        assert f"earshot/{part}/__init__.py" in names
    # data files the code reads at run time travel with it
    assert any(n.startswith("earshot/warehouse/migrations/") and n.endswith(".sql") for n in names)
    assert any(n.startswith("earshot/reports/templates/") for n in names)
    assert any(n.startswith("earshot/nlp/lexicons/") for n in names)
    assert "earshot/explore/templates/base.html" in names
    assert (
        "earshot/explore/static/explore.css" in names
        and "earshot/explore/static/explore.js" in names
    )
    assert not any(n.startswith(("earshot/tests", "earshot/bench")) for n in names)


def test_a_full_run_ignores_look_alike_folders_in_the_working_directory(
    wheel: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--disable-pip-version-check",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    top_level = {p.name for p in site.iterdir() if not p.name.endswith(".dist-info")}
    assert top_level - {"bin"} == {"earshot"}  # bin/: the `earshot` console script
    work = tmp_path / "work"
    for part in PARTS:
        (work / part).mkdir(parents=True)  # empty folders named like Earshot's parts
    shutil.copy(ROOT / "examples" / "listening.yaml", work / "listening.yaml")
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "PREFECT_HOME": str(tmp_path / "prefect"),
    }
    env.pop("PREFECT_API_URL", None)  # the run starts its own temporary Prefect server
    code = "import sys; from earshot.pipelines.cli import entry_point; sys.exit(entry_point())"
    where = subprocess.run(
        [sys.executable, "-c", "import earshot; print(earshot.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.strip().startswith(str(site))
    helped = subprocess.run(
        [sys.executable, "-c", code, "--help"], cwd=work, env=env, capture_output=True, text=True
    )
    assert helped.returncode == 0, helped.stderr
    ran = subprocess.run(
        [sys.executable, "-c", code, "run", "--config", "listening.yaml"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "Traceback" not in ran.stdout + ran.stderr
    assert list((work / "outbox").glob("*/digest.html")), ran.stderr
