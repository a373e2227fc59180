"""Fixtures for driving `appctx serve` with the official PubNub Python SDK.

* `server` (session): one `appctx serve --empty` on a free loopback port, killed at the
  end of the session. The binary comes from `$APPCTX_BIN` (default
  `target/release/appctx` relative to the repository root).
* `signing_server` (session, started on first use): the same binary with
  `--publish-key pub-c-test --secret-key sec-c-test`.
* `ri_server` (session, started on first use): the same binary with
  `--referential-integrity`.
* `sub_key` (per test): a fresh subscribe key, so every test has its own empty keyset.
* `pn` (per test): a `PubNub` client configured for `server` and `sub_key`.
* `make_pubnub(...)`: builds further clients (other keys, secrets, user ids).

Each server's stderr (the startup line and one line per request) goes to a log file in
a temp directory; when a test fails, the lines the server logged during that test are
attached to the failure report.
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = "target/release/appctx"
STARTUP_TIMEOUT_S = 20.0
READY_RE = re.compile(r"App Context on (http://(\S+?))[\s(]")

SIGNING_PUBLISH_KEY = "pub-c-test"
SIGNING_SECRET_KEY = "sec-c-test"

try:
    from pubnub.endpoints.objects_v2.objects_endpoint import ObjectsEndpoint
    from pubnub.pnconfiguration import PNConfiguration
    from pubnub.pubnub import PubNub
except ImportError as exc:  # pragma: no cover - environment problem, not a test result
    raise pytest.UsageError(
        "the PubNub Python SDK is not importable (%s); create the venv with "
        "`python3 -m venv .venv && .venv/bin/pip install -r tests/sdk/requirements.txt` "
        "or run `bash .ci/test`" % exc
    )


def pytest_configure(config):
    # The SDK marks its legacy include_* builders as deprecated; they are exercised on
    # purpose here (they are still what most existing code uses).
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning")


def _binary_path() -> Path:
    raw = os.environ.get("APPCTX_BIN", DEFAULT_BIN)
    path = Path(raw)
    if not path.is_absolute():
        path = REPO_ROOT / path
    return path


def _missing_binary_message(path: Path) -> str:
    return ("appctx binary not found or not executable at %s (from APPCTX_BIN, default %s "
            "relative to the repository root); build it with `cargo build --release` or point "
            "APPCTX_BIN at it" % (path, DEFAULT_BIN))


def pytest_sessionstart(session):
    # One clear error instead of one per test.
    path = _binary_path()
    if not path.is_file() or not os.access(path, os.X_OK):
        raise pytest.UsageError(_missing_binary_message(path))


class AppctxServer:
    """One `appctx serve` child process."""

    _all = []

    def __init__(self, name: str, extra_args=()):
        self.name = name
        self.binary = _binary_path()
        if not self.binary.is_file() or not os.access(self.binary, os.X_OK):
            pytest.fail(_missing_binary_message(self.binary), pytrace=False)
        self.tmpdir = Path(tempfile.mkdtemp(prefix="appctx-sdk-%s-" % name))
        self.db = self.tmpdir / "appctx.db"
        self.log_path = self.tmpdir / "serve.log"
        self._log = open(self.log_path, "wb")
        self.args = [
            str(self.binary), "serve",
            "--listen", "127.0.0.1:0",
            "--db", str(self.db),
            "--empty",
            *extra_args,
        ]
        # `serve` reads its signing keys from PUBNUB_* too: a developer's shell
        # must not turn these servers into signing ones.
        env = {k: v for k, v in os.environ.items()
               if k not in ("PUBNUB_SECRET_KEY", "PUBNUB_PUBLISH_KEY")}
        self.proc = subprocess.Popen(
            self.args,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            cwd=str(self.tmpdir),
            env=env,
        )
        AppctxServer._all.append(self)
        self.base_url, self.origin = self._wait_ready()

    def _wait_ready(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            text = self.log_text()
            m = READY_RE.search(text)
            if m:
                return m.group(1), m.group(2)
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        code = self.proc.poll()
        self.stop()
        pytest.fail(
            "appctx serve (%s) did not report its address within %.0fs (exit code %s).\n"
            "command: %s\n--- server log ---\n%s"
            % (self.name, STARTUP_TIMEOUT_S, code, " ".join(self.args), self.log_text()),
            pytrace=False,
        )

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def log_text(self, offset: int = 0) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                return f.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if not self._log.closed:
            self._log.close()


def _finish(srv, request):
    srv.stop()
    if request.session.testsfailed:
        # Keep the database and the full log for a post-mortem.
        print("\nappctx serve (%s) log kept at %s" % (srv.name, srv.log_path))
    else:
        shutil.rmtree(srv.tmpdir, ignore_errors=True)


@pytest.fixture(scope="session")
def server(request):
    srv = AppctxServer("plain")
    yield srv
    _finish(srv, request)


@pytest.fixture(scope="session")
def signing_server(request):
    srv = AppctxServer(
        "signing",
        ["--publish-key", SIGNING_PUBLISH_KEY, "--secret-key", SIGNING_SECRET_KEY],
    )
    yield srv
    _finish(srv, request)


@pytest.fixture(scope="session")
def ri_server(request):
    srv = AppctxServer("referential-integrity", ["--referential-integrity"])
    yield srv
    _finish(srv, request)


@pytest.fixture
def sub_key():
    return "sub-c-%s" % uuid.uuid4()


def make_pubnub(origin, subscribe_key, user_id="sdk-compat-tester", publish_key=None,
                secret_key=None):
    config = PNConfiguration()
    config.subscribe_key = subscribe_key
    if publish_key is not None:
        config.publish_key = publish_key
    if secret_key is not None:
        config.secret_key = secret_key
    config.user_id = user_id
    config.origin = origin
    config.ssl = False
    config.enable_subscribe = False
    config.connect_timeout = 5
    config.non_subscribe_request_timeout = 10
    return PubNub(config)


def close_pubnub(pn):
    handler = pn.get_request_handler()
    if hasattr(handler, "close"):
        handler.close()


@pytest.fixture
def pubnub_factory():
    """Builds clients and closes them at the end of the test."""
    made = []

    def factory(origin, subscribe_key, **kwargs):
        pn = make_pubnub(origin, subscribe_key, **kwargs)
        made.append(pn)
        return pn

    yield factory
    for pn in made:
        close_pubnub(pn)


@pytest.fixture
def pn(server, sub_key, pubnub_factory):
    return pubnub_factory(server.origin, sub_key)


@pytest.fixture(autouse=True)
def _reset_sdk_if_match():
    # pubnub 10.x keeps the If-Match header in a dict shared by *every* Objects
    # endpoint (`ObjectsEndpoint._custom_headers` is a class attribute that
    # `if_matches_etag` mutates), so once one request used if_matches_etag, all later
    # Objects requests in the process would send the same If-Match. Start and end each
    # test with it empty; tests that use if_matches_etag call `clear_if_match()` too.
    clear_if_match()
    yield
    clear_if_match()


def clear_if_match():
    ObjectsEndpoint._custom_headers.clear()


@pytest.fixture(autouse=True)
def _server_log_offsets(request):
    request.node._appctx_log_offsets = {id(s): s.log_size() for s in AppctxServer._all}
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed:
        return
    offsets = getattr(item, "_appctx_log_offsets", {})
    for srv in AppctxServer._all:
        text = srv.log_text(offsets.get(id(srv), 0))
        if text.strip():
            rep.sections.append(
                ("appctx serve (%s) log during this test: %s" % (srv.name, srv.log_path), text)
            )
