"""Sustained TD2.1 submissions per second against the embedded sandbox, with 1, 4 and 16 concurrent clients.

Run: ``python benchmarks/sandbox_throughput.py [--duration 10] [--warmup 3] [--clients 1,4,16]
[--modes tls-process,tls-thread,in-process]``

Each concurrent client is its own :class:`~dmpclient.client.AsyncDMPClient` (its own connection pool; a fresh
signed VIHF and XAdES signature per submission), all on one asyncio loop in this process, acting as Dr MAX
LIBRE in DIRECTE mode (TLS ``prof-auth``, signatures ``prof-sign``) and feeding PAT-TROIS with small N1 CDAs
(a 5.6 KiB PDF, about 16 KB of CDA), each with its own uniqueId. The documents are built before each run
(outside the measurement). Each run: ``--warmup`` seconds discarded, then ``--duration`` seconds measured;
submissions/s counts the successful submissions that ended inside the measured window; latency is one
``submit()`` call (build of the request, signatures, HTTP exchange, parse of the answer).

Modes:

* ``tls-process`` — ``dmpclient sandbox serve`` in its own process (own interpreter and GIL), over HTTPS with
  mutual TLS on 127.0.0.1: the figure that answers "how many submissions per second does the sandbox take";
* ``tls-thread`` — the sandbox over mutual TLS in a background thread of this process (what ``dmpclient demo``
  and tests do): client and server share one interpreter;
* ``in-process`` — the sandbox's ASGI app through its in-process httpx transport (no socket, no TLS).

CPU seconds of this process (client side, plus the server in the thread modes) and of the server process
(``tls-process``, from ``/proc``) are reported to show where the time goes on the 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dmpclient.cda import BuiltCda, DocumentHeaderInput, build_n1, make_sample_pdf
from dmpclient.cda.demo import demo_patient
from dmpclient.client import AsyncDMPClient, DMPClient
from dmpclient.environments import get_environment
from dmpclient.ids import INS
from dmpclient.sandbox import Sandbox
from dmpclient.security import TestPki, create_test_pki

PATIENT = "279035121518989"  # PAT-TROIS, an empty DMP of the seed


# ------------------------------------------------------------------------------------------- documents


class DocumentPool:
    """Small N1 CDAs built ahead of time (each submission needs a new uniqueId)."""

    def __init__(self, pki: TestPki) -> None:
        self.context = pki.acting_context("DIRECTE")
        self.pdf = make_sample_pdf(["DMPCLIENT BENCHMARK", "", "PETIT DOCUMENT N1"])
        self.documents: list[BuiltCda] = []
        self.built_during_runs = 0

    def _build(self) -> BuiltCda:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        header = DocumentHeaderInput.from_context(
            self.context,
            patient=demo_patient(),
            type_code="11488-4",
            title="Compte rendu de consultation",
            service_start=now - dt.timedelta(minutes=20),
            service_stop=now - dt.timedelta(minutes=5),
            author_time=now,
            effective_time=now,
        )
        return build_n1(header, self.pdf)

    def fill(self, count: int) -> None:
        while len(self.documents) < count:
            self.documents.append(self._build())

    def take(self) -> BuiltCda:
        if self.documents:
            return self.documents.pop()
        self.built_during_runs += 1
        return self._build()


# ------------------------------------------------------------------------------------------- the sandbox


@dataclass
class Target:
    mode: str
    base_url: str | None = None
    transport: Any = None
    server_pid: int | None = None


def _cpu_of(pid: int | None) -> float | None:
    """User + system CPU seconds of a process (Linux /proc), or None."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks
    except (OSError, ValueError, IndexError):
        return None


@contextlib.contextmanager
def sandbox_target(mode: str, pki: TestPki) -> Iterator[Target]:
    if mode == "tls-process":
        command = [
            sys.executable,
            "-c",
            "from dmpclient.cli import main; main()",
            "sandbox",
            "serve",
            "--pki",
            str(pki.directory),
            "--port",
            "0",
            "--json",
        ]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert process.stdout is not None
            text = ""
            info: dict[str, Any] | None = None
            while info is None:
                line = process.stdout.readline()
                if not line:
                    raise RuntimeError(f"the sandbox did not start: {process.stderr.read() if process.stderr else ''}")
                text += line
                with contextlib.suppress(ValueError):
                    info = json.loads(text)
            yield Target(mode, base_url=info["soap_base"], server_pid=process.pid)
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    elif mode == "tls-thread":
        with Sandbox.from_pki(pki) as sandbox, sandbox.run() as base_url:
            yield Target(mode, base_url=base_url)
    elif mode == "in-process":
        with Sandbox.from_pki(pki) as sandbox:
            yield Target(mode, transport=sandbox.transport())
    else:
        raise SystemExit(f"unknown mode {mode!r}")


def _client_options(pki: TestPki, target: Target) -> dict[str, Any]:
    options: dict[str, Any] = {"context": pki.acting_context("DIRECTE"), "signer": pki.signer("prof-sign")}
    if target.transport is not None:
        options["transport"] = target.transport
        return {"environment": "sandbox", **options}
    environment = get_environment("sandbox").with_urls(soap_base=target.base_url)
    return {"environment": environment, "tls": pki.tls_identity("prof-auth"), "trust": pki.trust_store(), **options}


# ------------------------------------------------------------------------------------------- one run


@dataclass
class RunResult:
    mode: str
    clients: int
    duration: float
    submitted: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    client_cpu: float = 0.0
    server_cpu: float | None = None

    @property
    def rate(self) -> float:
        return self.submitted / self.duration

    def percentile(self, p: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]


@contextlib.asynccontextmanager
async def _clients(count: int, options: dict[str, Any]) -> AsyncIterator[list[AsyncDMPClient]]:
    environment = options.pop("environment")
    clients = [AsyncDMPClient(environment, **options) for _ in range(count)]
    try:
        yield clients
    finally:
        for client in clients:
            await client.aclose()


async def _run(
    target: Target, pki: TestPki, pool: DocumentPool, clients: int, warmup: float, duration: float
) -> RunResult:
    result = RunResult(target.mode, clients, duration)
    ins = INS.parse(PATIENT)
    async with _clients(clients, _client_options(pki, target)) as pool_of_clients:
        # one TD0.2 each: TLS handshake, key loading and caches out of the measurement
        await asyncio.gather(*(c.test_existence(ins) for c in pool_of_clients))
        start = time.perf_counter()
        measure_from = start + warmup
        stop = measure_from + duration
        cpu0: float | None = None
        server0: float | None = None

        async def worker(client: AsyncDMPClient) -> None:
            while time.perf_counter() < stop:
                document = pool.take()
                began = time.perf_counter()
                try:
                    await client.submit(ins, [document])
                except Exception as exc:  # counted, the run goes on
                    ended = time.perf_counter()
                    if began >= measure_from and ended <= stop:
                        result.errors[type(exc).__name__] += 1
                    continue
                ended = time.perf_counter()
                if began >= measure_from and ended <= stop:
                    result.submitted += 1
                    result.latencies.append(ended - began)

        async def cpu_marks() -> None:
            nonlocal cpu0, server0
            await asyncio.sleep(max(0.0, measure_from - time.perf_counter()))
            cpu0, server0 = time.process_time(), _cpu_of(target.server_pid)
            await asyncio.sleep(max(0.0, stop - time.perf_counter()))
            result.client_cpu = time.process_time() - cpu0
            end_server = _cpu_of(target.server_pid)
            if server0 is not None and end_server is not None:
                result.server_cpu = end_server - server0

        await asyncio.gather(cpu_marks(), *(worker(c) for c in pool_of_clients))
    return result


def _authorise(pki: TestPki, target: Target) -> None:
    """TD0.3 once (not needed to feed, but the usual first step of a real integration)."""
    options = _client_options(pki, target)
    environment = options.pop("environment")
    if target.transport is not None:
        return  # the in-process transport is async-only here; feeding needs no authorisation
    with DMPClient(environment, **options) as client:
        client.authorize(INS.parse(PATIENT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=3.0, help="discarded seconds before each run")
    parser.add_argument("--clients", default="1,4,16", help="concurrent clients, comma-separated")
    parser.add_argument("--modes", default="tls-process,tls-thread,in-process")
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",")]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]

    with tempfile.TemporaryDirectory(prefix="dmpclient-bench-") as tmp:
        t0 = time.perf_counter()
        pki = create_test_pki(Path(tmp) / "pki")
        pool = DocumentPool(pki)
        pool.fill(200)
        per_doc = (time.perf_counter() - t0) / 200
        print(
            f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
            f"N1 CDA of {pool.documents[0].size} bytes"
        )
        print(
            f"warm-up {args.warmup:.0f} s, measured {args.duration:.0f} s per run; build ≈ {per_doc * 1000:.1f} ms/doc"
        )
        print()
        header = (
            f"{'mode':<12} {'clients':>7} {'subm/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7} "
            f"{'client CPU s':>13} {'server CPU s':>13}"
        )
        print(header)
        print("-" * len(header))
        estimate = 60.0
        for mode in modes:
            with sandbox_target(mode, pki) as target:
                _authorise(pki, target)
                for count in counts:
                    pool.fill(int(estimate * 1.5 * (args.warmup + args.duration)) + 50 * count)
                    result = asyncio.run(_run(target, pki, pool, count, args.warmup, args.duration))
                    estimate = max(estimate, result.rate)
                    errors = sum(result.errors.values())
                    server = f"{result.server_cpu:13.1f}" if result.server_cpu is not None else f"{'(in client)':>13}"
                    print(
                        f"{mode:<12} {count:>7} {result.rate:8.1f} {result.percentile(50) * 1000:8.1f} "
                        f"{result.percentile(95) * 1000:8.1f} {errors:>7} {result.client_cpu:13.1f} {server}",
                        flush=True,
                    )
                    if result.errors:
                        print(f"{'':21}errors: {dict(result.errors)}")
        print(f"\nload average at the end: {os.getloadavg()[0]:.1f} (other processes share the CPUs)")
        if pool.built_during_runs:
            print(f"\nnote: {pool.built_during_runs} documents were built during runs (the pool ran dry)")


if __name__ == "__main__":
    main()
