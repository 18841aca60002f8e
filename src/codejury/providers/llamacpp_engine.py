"""The blocking side of the bundled local model: load a GGUF once, run one generation at a time.

Everything here runs in worker threads, never on the event loop, and is the only code that
imports ``llama_cpp`` (it takes a noticeable time to import, so
:mod:`codejury.providers.llamacpp` imports this module only when a model is first used).

Text is produced by llama-cpp-python's own ``create_chat_completion`` /
``create_completion``, the code path its OpenAI-compatible server uses, so a prompt gives the
same answer here and behind ``python -m llama_cpp.server`` with the same settings. The only
hook is :class:`_TappedLlama`, which watches the token stream to count tokens and to stop a
generation between two tokens when its caller cancelled or its deadline passed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import llama_cpp

from codejury.errors import ConfigError
from codejury.providers.base import GenerationRequest, ProviderBadResponseError
from codejury.providers.llamacpp import LlamaSettings

# Sampling at temperature > 0 is plain temperature sampling, as hosted OpenAI-style APIs do
# it: llama-cpp-python's own defaults (top_k 40, min_p 0.05, top_p 0.95, and its server's
# repeat_penalty 1.1) would silently change the distribution being benchmarked. At
# temperature 0 the sampler is greedy and only the repeat penalty could change the answer.
SAMPLING_DEFAULTS: dict[str, float] = {
    "top_k": 0,
    "min_p": 0.0,
    "top_p": 1.0,
    "repeat_penalty": 1.0,
    "frequency_penalty": 0.0,
    "presence_penalty": 0.0,
}
_LOCK_POLL_S = 0.05  # how often a queued request checks whether it was cancelled
# llama.cpp rounds the context up to a multiple of this, while llama-cpp-python sizes its own
# token buffer by the size asked for; a prompt or answer that ran into the difference would
# crash it, so the size is rounded up before asking.
_CONTEXT_STEP = 256
Stopped = Literal["cancelled", "timeout"]


@dataclass
class Job:
    """One generation handed to a worker thread.

    Attributes:
        request: What to generate.
        seed: Sampling seed for this request (ignored by the greedy sampler at temperature 0).
        cancel: Set by the caller to stop the generation at the next token.
    """

    request: GenerationRequest
    seed: int
    cancel: threading.Event = field(default_factory=threading.Event)


@dataclass
class Outcome:
    """What one generation produced; times are seconds from the moment the model took the job.

    ``stopped`` says why the generation ended early, when it did; the text is then partial.
    """

    text: str = ""
    finish_reason: str | None = None
    input_tokens: int | None = None
    output_tokens: int = 0
    ttft_s: float | None = None
    latency_s: float = 0.0
    response_id: str | None = None
    stopped: Stopped | None = None


class _Tap:
    """Per-generation bookkeeping that :class:`_TappedLlama` updates token by token."""

    def __init__(self, job: Job, started: float, is_eog: Any) -> None:
        self.job = job
        self.deadline = started + job.request.timeout_s
        self.is_eog = is_eog
        self.prompt_tokens: int | None = None
        self.sampled = 0
        self.last_was_eog = False
        self.stopped: Stopped | None = None

    def should_stop(self) -> bool:
        if self.job.cancel.is_set():
            self.stopped = "cancelled"
        elif time.perf_counter() > self.deadline:
            self.stopped = "timeout"
        return self.stopped is not None

    @property
    def output_tokens(self) -> int:
        # The end-of-generation token is sampled but is not part of the answer; servers do
        # not count it either.
        return self.sampled - (1 if self.last_was_eog else 0)


class _TappedLlama(llama_cpp.Llama):
    """A ``Llama`` whose token generator reports to the current :class:`_Tap`."""

    tap: _Tap | None = None

    def generate(self, *args: Any, **kwargs: Any) -> Generator[int, Sequence[int] | None, None]:
        """``Llama.generate``, counting tokens and stopping early when the tap says so.

        Values sent into the generator are not forwarded: llama-cpp-python's completion code
        only iterates it.
        """
        tap = self.tap
        tokens = args[0] if args else kwargs["tokens"]
        inner = super().generate(*args, **kwargs)
        try:
            if tap is not None:
                tap.prompt_tokens = len(tokens)
            for token in inner:
                if tap is not None:
                    if tap.should_stop():
                        return
                    tap.sampled += 1
                    tap.last_was_eog = bool(tap.is_eog(token))
                yield token
        finally:
            inner.close()


@dataclass
class Engine:
    """One loaded model and the lock that serializes its use (llama.cpp is not thread-safe)."""

    llama: _TappedLlama
    settings: LlamaSettings
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, job: Job) -> Outcome:
        """Generate ``job`` (blocking); returns early, marked ``stopped``, when cancelled.

        Raises:
            ProviderBadResponseError: The prompt does not fit in the context window, or
                llama.cpp refused the request (neither is retryable).
        """
        while not self.lock.acquire(timeout=_LOCK_POLL_S):
            if job.cancel.is_set():
                return Outcome(stopped="cancelled")
        try:
            return self._generate(job)
        finally:
            self.llama.tap = None
            self.lock.release()

    def _generate(self, job: Job) -> Outcome:
        started = time.perf_counter()
        vocab = llama_cpp.llama_model_get_vocab(self.llama.model)
        tap = _Tap(job, started, lambda token: llama_cpp.llama_vocab_is_eog(vocab, token))
        self.llama.tap = tap
        # Forget the previous prompt: reusing its cached prefix would make an answer depend on
        # what ran before it, and a benchmark must not.
        self.llama.reset()  # type: ignore[no-untyped-call]  # untyped upstream
        outcome = Outcome()
        try:
            for piece, finish, chunk_id in self._stream(job):
                outcome.response_id = outcome.response_id or chunk_id
                if piece:
                    if outcome.ttft_s is None:
                        outcome.ttft_s = time.perf_counter() - started
                    outcome.text += piece
                outcome.finish_reason = finish or outcome.finish_reason
        except ValueError as exc:
            raise self._rejected(exc) from exc
        except RuntimeError as exc:
            raise ProviderBadResponseError(
                f"llama.cpp failed on this request: {exc}", retryable=False
            ) from exc
        outcome.latency_s = time.perf_counter() - started
        outcome.input_tokens = tap.prompt_tokens
        outcome.output_tokens = tap.output_tokens
        outcome.stopped = tap.stopped
        return outcome

    def _stream(self, job: Job) -> Iterator[tuple[str | None, str | None, str | None]]:
        """(text piece, finish reason, chunk id) for each streamed chunk."""
        request = job.request
        options: dict[str, Any] = dict(SAMPLING_DEFAULTS)
        if request.top_p is not None:
            options["top_p"] = request.top_p
        options.update(
            temperature=request.temperature,
            max_tokens=request.max_tokens,
            stop=list(request.stop),
            seed=job.seed,
            stream=True,
        )
        if request.messages is not None:
            messages: Any = [{"role": m.role, "content": m.content} for m in request.messages]
            chat: Any = self.llama.create_chat_completion(messages=messages, **options)
            try:
                for chunk in chat:
                    choice = chunk["choices"][0]
                    yield choice["delta"].get("content"), choice["finish_reason"], chunk["id"]
            finally:
                chat.close()
        else:
            assert request.prompt is not None  # GenerationRequest guarantees one of the two
            plain: Any = self.llama.create_completion(prompt=request.prompt, **options)
            try:
                for chunk in plain:
                    choice = chunk["choices"][0]
                    yield choice["text"], choice["finish_reason"], chunk["id"]
            finally:
                plain.close()

    def _rejected(self, exc: ValueError) -> ProviderBadResponseError:
        detail = str(exc)
        if "exceed context window" in detail:
            return ProviderBadResponseError(
                f"the prompt does not fit in the local model's context: {detail}",
                hint=f"raise n_ctx (now {self.llama.n_ctx()}) in the model's codejury.toml "
                "table, or shorten the prompt",
                retryable=False,
            )
        return ProviderBadResponseError(
            f"llama.cpp rejected the request: {detail}", retryable=False
        )


_ENGINES: dict[LlamaSettings, Engine] = {}
_LOADING = threading.Lock()


def engine_for(settings: LlamaSettings) -> Engine:
    """The loaded model for ``settings``, loading it on first use (blocking).

    Providers with equal settings share one model, so a run that opens the same local model
    several times loads it once and still never runs two generations on it at once.

    Raises:
        ConfigError: The file is missing, unreadable or not a model llama.cpp can load.
    """
    with _LOADING:
        engine = _ENGINES.get(settings)
        if engine is None:
            engine = Engine(_load(settings), settings)
            _ENGINES[settings] = engine
        return engine


def _load(settings: LlamaSettings) -> _TappedLlama:
    n_ctx = -(-settings.n_ctx // _CONTEXT_STEP) * _CONTEXT_STEP
    llama = _open(settings, n_ctx)
    if llama.n_ctx() != n_ctx:  # a llama.cpp that rounds differently: ask for what it gives
        actual = llama.n_ctx()
        llama.close()
        llama = _open(settings, actual)
    return llama


def _open(settings: LlamaSettings, n_ctx: int) -> _TappedLlama:
    path = settings.model_path
    try:
        return _TappedLlama(
            model_path=str(path),
            n_gpu_layers=0,
            n_ctx=n_ctx,
            n_batch=settings.n_batch,
            n_ubatch=settings.n_batch,
            n_threads=settings.n_threads,
            n_threads_batch=settings.n_threads,
            verbose=False,  # llama.cpp's load log would bury the run's own output
        )
    except (ValueError, RuntimeError, OSError) as exc:
        raise ConfigError(
            f"llama.cpp could not load the model file {path}: {exc}",
            hint="check that the file is a complete GGUF model (re-download it if in doubt)",
        ) from exc
