"""Fixtures of the attack corpus: the canaries (see ``canary.py``)."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from canary import Canaries, Listeners, world_writable_file


@pytest.fixture(scope="module")
def canaries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Canaries]:
    var_dir = Path(tempfile.mkdtemp(prefix="cj_adv_canary_", dir="/var/tmp"))
    var_dir.chmod(0o777)
    tmp_dir = tmp_path_factory.mktemp("canary")
    tmp_dir.chmod(0o777)
    listeners = Listeners(tmp_dir / "canary.sock")
    process = subprocess.Popen(["sleep", "3600"], start_new_session=True)
    c = Canaries(var_dir, tmp_dir, listeners, process)
    try:
        world_writable_file(c.file, b"canary " + secrets.token_bytes(16).hex().encode(), c.files)
        world_writable_file(c.tmp_file, b"tmp canary", c.files)
        for sub in ("src", "tests"):
            (c.decoy_repo / sub).mkdir(parents=True)
            (c.decoy_repo / sub).chmod(0o777)
            world_writable_file(c.decoy_repo / sub / "module.py", b"x = 1\n", c.files)
        c.decoy_repo.chmod(0o777)
        yield c
    finally:
        listeners.close()
        process.kill()
        process.wait()
        shutil.rmtree(var_dir, ignore_errors=True)
