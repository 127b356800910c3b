"""The `coder_audit` pytest plugin, tested in pytester sub-runs as a project that installed the kit.

Each test writes a small test file into a fresh directory and runs pytest there; the plugin is
found through its `pytest11` entry point (tests/plugin/conftest.py), exactly as in a user's
project. Sub-runs are in-process (fast) except where a fresh interpreter is the point.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import urllib.parse
from typing import Any

import pytest

from coder_audit_mock.fixtures import JournalAssertions, LiveServer, LiveServerError
from coder_audit_mock.mockserver import DEFAULT_LOG_COUNT, DEFAULT_TOKENS, MockSettings
from coder_audit_mock.mockserver._journal import JournalEntry, RequestJournal

HEADER_DEFAULT = "coder-audit: seed=0 target=in-process mock"


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(source)
    return pytester.runpytest("-p", "no:cacheprovider", *args)


# -- in-process app and clients -------------------------------------------------------------


def test_in_process_client_is_the_owner_and_every_test_starts_seeded(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        f"""
        def test_writes(coder_audit_client, coder_audit_app):
            assert coder_audit_client.post("/api/v2/audit/testgenerate", json={{}}).status_code == 204
            assert coder_audit_client.get("/api/v2/audit").json()["count"] == {DEFAULT_LOG_COUNT + 1}
            assert len(coder_audit_app.state.mock.store) == {DEFAULT_LOG_COUNT + 1}

        def test_sees_the_seeded_state_again(coder_audit_client):
            response = coder_audit_client.get("/api/v2/audit", params={{"limit": 1}})
            assert response.status_code == 200
            assert response.json()["count"] == {DEFAULT_LOG_COUNT}
        """,
    )
    result.assert_outcomes(passed=2)


def test_client_per_role_and_tokens(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        f"""
        import pytest

        pytestmark = pytest.mark.coder_audit(count=200)  # enough logs for every organization

        @pytest.mark.parametrize("role, status", [
            ("owner", 200), ("auditor", 200), ("org-admin", 200), ("org-auditor", 200),
            ("member", 403), ("expired", 401), ("suspended", 401), (None, 401),
        ])
        def test_role(coder_audit_client_for, role, status):
            assert coder_audit_client_for(role).get("/api/v2/audit").status_code == status

        def test_org_admin_sees_fewer_logs(coder_audit_client_for):
            count = coder_audit_client_for("org-admin").get("/api/v2/audit").json()["count"]
            assert 0 < count < 200

        def test_unknown_role(coder_audit_client_for):
            with pytest.raises(ValueError, match="unknown role 'admin': expected one of owner, "):
                coder_audit_client_for("admin")

        def test_tokens(coder_audit_tokens):
            assert coder_audit_tokens == {DEFAULT_TOKENS!r}
        """,
    )
    result.assert_outcomes(passed=11)


def test_async_client(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        f"""
        import pytest

        @pytest.mark.anyio
        async def test_lists(coder_audit_async_client):
            response = await coder_audit_async_client.get("/api/v2/audit", params={{"limit": 2}})
            assert response.status_code == 200
            assert response.json()["count"] == {DEFAULT_LOG_COUNT}
            assert len(response.json()["audit_logs"]) == 2
        """,
    )
    result.assert_outcomes(passed=1)


def test_missing_extra_is_named_with_the_install_command(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import sys
        import pytest

        @pytest.fixture
        def without_httpx(monkeypatch):
            monkeypatch.setitem(sys.modules, "httpx", None)  # `import httpx` now fails

        def test_async(without_httpx, coder_audit_async_client):
            pass
        """,
    )
    result.assert_outcomes(errors=1)
    result.stdout.no_fnmatch_line("*import of httpx halted*")
    result.stdout.fnmatch_lines(
        [
            # ? stands for [ and ]: fnmatch reads brackets as a character class
            (
                "*coder_audit_async_client needs httpx, which is not installed: "
                "pip install 'coder-audit-mock?contracts?'"
            )
        ]
    )


def test_the_schema_fixture_without_the_extra_is_one_line(pytester: pytest.Pytester) -> None:
    # Only coder_audit_schema needs the contracts extra; coder_audit_target works without it.
    result = run(
        pytester,
        """
        import sys
        import pytest

        @pytest.fixture(scope="session", autouse=True)
        def without_schemathesis():
            saved = sys.modules.get("schemathesis")
            sys.modules["schemathesis"] = None  # `import schemathesis` now fails
            yield
            if saved is not None:
                sys.modules["schemathesis"] = saved
            else:
                del sys.modules["schemathesis"]

        def test_target(coder_audit_target):
            assert coder_audit_target.auth("owner")

        def test_schema(coder_audit_schema):
            pass
        """,
    )
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            (
                "coder_audit_schema needs schemathesis, which is not installed: "
                "pip install 'coder-audit-mock?contracts?'"
            )
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*def coder_audit_schema*")


# -- the marker -----------------------------------------------------------------------------


def test_marker_sets_seed_count_and_now_closest_marker_winning(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest

        pytestmark = pytest.mark.coder_audit(count=5, seed=9)

        @pytest.mark.coder_audit(seed=3, now="2024-05-01T12:00:00Z")
        def test_marked(coder_audit_settings, coder_audit_client):
            assert (coder_audit_settings.seed, coder_audit_settings.log_count) == (3, 5)
            logs = coder_audit_client.get("/api/v2/audit").json()["audit_logs"]
            assert len(logs) == 5
            assert all(log["time"] <= "2024-05-01T12:00:00Z" for log in logs)
            assert logs[0]["time"] > "2024-01-31"  # the logs lead up to `now`

        def test_module_marker_only(coder_audit_settings):
            assert (coder_audit_settings.seed, coder_audit_settings.log_count) == (9, 5)
        """,
    )
    result.assert_outcomes(passed=2)


def test_marker_seed_changes_the_data(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest

        def first_log(client):
            return client.get("/api/v2/audit", params={"limit": 1}).json()["audit_logs"][0]

        @pytest.mark.coder_audit(count=3)
        def test_seed_0(coder_audit_client, pytestconfig):
            pytestconfig.cache_seed_0 = first_log(coder_audit_client)

        @pytest.mark.coder_audit(count=3)
        def test_seed_0_again(coder_audit_client, pytestconfig):
            assert first_log(coder_audit_client) == pytestconfig.cache_seed_0

        @pytest.mark.coder_audit(count=3, seed=1)
        def test_seed_1(coder_audit_client, pytestconfig):
            assert first_log(coder_audit_client)["id"] != pytestconfig.cache_seed_0["id"]
        """,
    )
    result.assert_outcomes(passed=3)


def test_marker_misuse_names_the_problem(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest

        @pytest.mark.coder_audit(3)
        def test_positional(coder_audit_settings): pass

        @pytest.mark.coder_audit(logs=3)
        def test_unknown(coder_audit_settings): pass

        @pytest.mark.coder_audit(count=-1)
        def test_negative(coder_audit_settings): pass

        @pytest.mark.coder_audit(now="yesterday")
        def test_bad_now(coder_audit_settings): pass
        """,
    )
    result.assert_outcomes(errors=4)
    result.stdout.fnmatch_lines_random(
        [
            "*@pytest.mark.coder_audit takes keywords only, e.g. seed=3, count=50",
            "*@pytest.mark.coder_audit: unknown keyword 'logs'; expected seed, count, now, profile",
            "*@pytest.mark.coder_audit(count=-1): expected an integer 0 to 1000000",
            "*@pytest.mark.coder_audit(now='yesterday'): expected a datetime or an RFC 3339 *",
        ]
    )


# -- options, ini keys, environment, report header -----------------------------------------


def test_overriding_the_seed_fixture_reaches_every_fixture(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def coder_audit_seed():
            return 11
        """
    )
    result = run(
        pytester,
        """
        def test_seed(coder_audit_settings, coder_audit_server, coder_audit_schema):
            assert coder_audit_settings.seed == coder_audit_server.settings.seed == 11
        """,
    )
    result.assert_outcomes(passed=1)


def test_report_header_states_default_seed_and_target(pytester: pytest.Pytester) -> None:
    result = run(pytester, "def test_nothing(): pass")
    result.stdout.fnmatch_lines([HEADER_DEFAULT])


@pytest.mark.parametrize(
    ("ini", "args", "expected"),
    [
        pytest.param(None, [], 0, id="default"),
        pytest.param("5", [], 5, id="ini"),
        pytest.param("5", ["--coder-audit-seed=7"], 7, id="option-beats-ini"),
    ],
)
def test_seed_precedence(
    pytester: pytest.Pytester, ini: str | None, args: list[str], expected: int
) -> None:
    if ini is not None:
        pytester.makeini(f"[pytest]\ncoder_audit_seed = {ini}\n")
    result = run(
        pytester,
        f"""
        def test_seed(coder_audit_seed, coder_audit_settings):
            assert coder_audit_seed == coder_audit_settings.seed == {expected}
        """,
        *args,
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"coder-audit: seed={expected} target=in-process mock"])


@pytest.mark.parametrize(
    ("ini", "env", "args", "expected"),
    [
        pytest.param("http://ini:1", None, [], "http://ini:1", id="ini"),
        pytest.param("http://ini:1", "http://env:2", [], "http://env:2", id="env-beats-ini"),
        pytest.param(
            "http://ini:1",
            "http://env:2",
            ["--coder-audit-url=http://option:3"],
            "http://option:3",
            id="option-beats-env",
        ),
        pytest.param("http://ini:1", "", [], "http://ini:1", id="empty-env-is-unset"),
    ],
)
def test_url_precedence(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    ini: str,
    env: str | None,
    args: list[str],
    expected: str,
) -> None:
    pytester.makeini(f"[pytest]\ncoder_audit_url = {ini}\n")
    if env is not None:
        monkeypatch.setenv("CODER_URL", env)
    result = run(pytester, "def test_nothing(): pass", *args)
    result.stdout.fnmatch_lines(
        [f"coder-audit: seed=0 target={expected} (CODER_SESSION_TOKEN unset)"]
    )


def test_header_says_where_the_token_comes_from(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CODER_SESSION_TOKEN", "secret0000-secretsecret0000000000")
    result = run(pytester, "def test_nothing(): pass", "--coder-audit-url=https://coder.example")
    result.stdout.fnmatch_lines(
        ["coder-audit: seed=0 target=https://coder.example (owner token from CODER_SESSION_TOKEN)"]
    )
    result.stdout.no_fnmatch_line("*secret0000*")


@pytest.mark.parametrize(
    ("ini", "args", "message"),
    [
        (None, ["--coder-audit-seed=-1"], "--coder-audit-seed: invalid seed '-1': *"),
        ("seed", [], "ini coder_audit_seed: invalid seed 'seed': expected an integer 0 or more"),
        (None, ["--coder-audit-url=coder.example"], "--coder-audit-url: invalid URL *"),
    ],
)
def test_bad_configuration_stops_the_run(
    pytester: pytest.Pytester, ini: str | None, args: list[str], message: str
) -> None:
    if ini is not None:
        pytester.makeini(f"[pytest]\ncoder_audit_seed = {ini}\n")
    result = run(pytester, "def test_nothing(): pass", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])


def test_disabled_with_p_no(pytester: pytest.Pytester) -> None:
    result = run(pytester, "def test_client(coder_audit_client): pass", "-p", "no:coder_audit")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'coder_audit_client' not found*"])
    result.stdout.no_fnmatch_line("coder-audit:*")
    refused = pytester.runpytest("-p", "no:coder_audit", "--coder-audit-seed=1")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR


def test_loading_the_plugin_imports_nothing_heavy(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fresh interpreter with no other plugins, so that sys.modules shows what ours loads.
    pytester.makepyfile(
        """
        import sys

        HEAVY = {"starlette", "faker", "schemathesis", "hypothesis", "httpx", "uvicorn", "anyio"}

        def loaded():
            return HEAVY & {name.split(".")[0] for name in sys.modules}

        def test_before_any_fixture(pytestconfig):
            assert pytestconfig.pluginmanager.has_plugin("coder_audit")
            assert not loaded()

        def test_a_fixture_loads_what_it_needs(coder_audit_client):
            assert {"starlette", "faker", "httpx"} <= loaded()
        """
    )
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    result = pytester.runpytest_subprocess("-p", "coder_audit", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


# -- live server ----------------------------------------------------------------------------


def test_live_server_is_shared_reset_per_test_and_stopped_after_the_session(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
        import json, pathlib, urllib.request
        import pytest

        def call(server, path, role="owner", body=None):
            request = urllib.request.Request(
                server.url + path, data=body, method="POST" if body else "GET",
                headers={"Coder-Session-Token": server.tokens[role],
                         "Content-Type": "application/json"})
            with urllib.request.urlopen(request) as response:
                return response.status, response.read()

        def count(server):
            return json.loads(call(server, "/api/v2/audit?limit=1")[1])["count"]

        def test_writes(coder_audit_server, pytestconfig):
            assert coder_audit_server.url.startswith("http://127.0.0.1:")
            assert call(coder_audit_server, "/api/v2/audit/testgenerate", body=b"{}")[0] == 204
            assert count(coder_audit_server) == 1001
            pytestconfig.first_url = coder_audit_server.url

        def test_same_server_reset(coder_audit_server, pytestconfig):
            assert coder_audit_server.url == pytestconfig.first_url
            assert len(coder_audit_server.journal) == 0
            assert count(coder_audit_server) == 1000

        @pytest.mark.coder_audit(count=2)
        def test_marker_gets_its_own_server(coder_audit_server, pytestconfig):
            assert coder_audit_server.url != pytestconfig.first_url
            assert count(coder_audit_server) == 2

        def test_factory(make_coder_audit_server, coder_audit_server, pytestconfig):
            assert make_coder_audit_server() is coder_audit_server
            other = make_coder_audit_server(log_count=0, seed=4)
            assert other is make_coder_audit_server(seed=4, log_count=0)
            assert other.url != coder_audit_server.url and count(other) == 0
            pathlib.Path("urls.txt").write_text(coder_audit_server.url + " " + other.url)
        """,
    )
    result.assert_outcomes(passed=4)
    for url in (pytester.path / "urls.txt").read_text().split():
        port = urllib.parse.urlsplit(url).port
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()


async def starts_in_a_second(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An ASGI app whose lifespan start-up takes a second (it serves nothing else)."""
    if scope["type"] == "lifespan":
        await receive()
        await asyncio.sleep(1)
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await send({"type": "lifespan.shutdown.complete"})


def test_live_server_start_is_bounded_and_stop_is_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    server = LiveServer(MockSettings(log_count=0), ready_timeout=0.2)
    monkeypatch.setattr(server, "app", starts_in_a_second)
    with pytest.raises(LiveServerError, match="did not accept connections within 0.2 s"):
        server.start()
    assert not server.running
    with pytest.raises(LiveServerError, match="not running: call start()"):
        server.url  # noqa: B018 - reading it is the test
    server.stop()  # again: nothing left to stop


# -- arranging data and the journal ---------------------------------------------------------


def test_data_fixture_arranges_the_in_process_mock(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest

        @pytest.mark.coder_audit(count=0)
        def test_arrange(coder_audit_data, coder_audit_client_for):
            coder_audit_data.organization(name="acme")
            coder_audit_data.user(username="alice", organizations={"acme": ["organization-auditor"]},
                                  tokens=["alice00000-alicesecret00000000000"])
            coder_audit_data.log(user="alice", organization="acme", action="delete",
                                 resource_type="workspace", resource_target="dev")
            coder_audit_data.logs(2, action="login", resource_type="api_key")
            owner = coder_audit_client_for("owner")
            assert owner.get("/api/v2/audit").json()["count"] == 3
            deleted = owner.get("/api/v2/audit", params={"q": "action:delete username:alice"}).json()
            assert [log["resource_target"] for log in deleted["audit_logs"]] == ["dev"]
            alice = owner.get("/api/v2/audit", headers={
                "Coder-Session-Token": "alice00000-alicesecret00000000000"}).json()
            assert alice["count"] == 1  # an organization auditor sees acme's log only

        def test_scenario(coder_audit_data, coder_audit_client):
            coder_audit_data.scenario({"logs": [{"action": "create", "resource_type": "template"}]})
            assert coder_audit_client.get("/api/v2/audit").json()["count"] == 1
        """,
    )
    result.assert_outcomes(passed=2)


def test_journal_verifies_what_the_client_sent(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        def test_verify(coder_audit_client_for, coder_audit_journal):
            coder_audit_client_for("owner").get("/api/v2/audit", params={"q": "action:create", "limit": 5})
            coder_audit_client_for("member").get("/api/v2/audit")
            coder_audit_client_for(None).get("/api/v2/audit")
            calls = coder_audit_journal.assert_called(
                times=1, method="GET", path="/api/v2/audit", q="action:create", role="owner",
                query={"limit": "5"}, status=200)
            assert calls[0].query == {"q": ["action:create"], "limit": ["5"]}
            coder_audit_journal.assert_called(times=1, role="member", status=403)
            coder_audit_journal.assert_called(times=1, role=None, status=401)
            coder_audit_journal.assert_not_called(method="POST")
            assert len(coder_audit_journal.requests(path="/api/v2/audit")) == 3
            assert [entry.status for entry in coder_audit_journal] == [200, 403, 401]
            assert coder_audit_journal.clear() == 3 and len(coder_audit_journal) == 0

        def test_failure_lists_what_was_received(coder_audit_client, coder_audit_journal):
            coder_audit_client.get("/api/v2/audit", params={"q": "action:login"})
            coder_audit_journal.assert_called(times=2, q="action:login", role="owner")
        """,
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            ">*coder_audit_journal.assert_called(times=2, q=*",
            (
                "E*AssertionError: expected 2 request(s) matching q='action:login' role='owner', "
                "got 1; the mock received 1:"
            ),
            "E*  GET /api/v2/audit?q=action:login -> 200 (owner)",
        ]
    )


def test_journal_assertions_wait_for_late_entries_only_when_told() -> None:
    journal = RequestJournal()
    late = JournalEntry("GET", "/api/v2/audit", {}, "owner", 200, 1.0)
    with pytest.raises(AssertionError, match="the mock received no requests"):
        JournalAssertions(journal).assert_called(times=1)  # no waiting by default
    threading.Timer(0.05, journal.record, [late]).start()
    assert JournalAssertions(journal, settle_seconds=5).assert_called(times=1) == [late]
    with pytest.raises(ValueError, match="times must be 0 or more, got -1"):
        JournalAssertions(journal).assert_called(times=-1)


def test_data_and_journal_follow_the_live_server(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import json, urllib.request

        def test_live(coder_audit_server, coder_audit_data, coder_audit_journal, coder_audit_app):
            coder_audit_data.log(action="delete", resource_target="only-on-the-live-server")
            request = urllib.request.Request(
                coder_audit_server.url + "/api/v2/audit?q=action:delete&limit=1",
                headers={"Coder-Session-Token": coder_audit_server.tokens["auditor"]})
            logs = json.load(urllib.request.urlopen(request))["audit_logs"]
            assert logs[0]["resource_target"] == "only-on-the-live-server"
            coder_audit_journal.assert_called(times=1, q="action:delete", role="auditor")
            assert len(coder_audit_app.state.mock.store) == 1000  # untouched
        """,
    )
    result.assert_outcomes(passed=1)


# -- contract fixtures ----------------------------------------------------------------------


def test_target_and_schema_bind_to_the_in_process_mock(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        def test_target(coder_audit_target):
            assert coder_audit_target.in_process
            response = coder_audit_target.client.get(
                "/api/v2/audit", params={"limit": 1}, headers=coder_audit_target.auth("auditor"))
            assert response.json()["count"] == 1000

        def test_schema(coder_audit_schema, coder_audit_target):
            operations = [result.ok() for result in coder_audit_schema.get_all_operations()]
            assert sorted(operation.label for operation in operations) == [
                "GET /api/v2/audit", "POST /api/v2/audit/testgenerate"]
            case = coder_audit_schema["/api/v2/audit"]["GET"].Case(query={"limit": 1})
            response = case.call(headers=coder_audit_target.auth("owner"))  # in-process
            assert response.json()["count"] == 1000
        """,
        "--coder-audit-seed=2",
    )
    result.assert_outcomes(passed=2)


def test_target_follows_the_url_and_token(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    with LiveServer(MockSettings(log_count=3)) as server:
        url = server.url
        monkeypatch.setenv("CODER_URL", url)
        monkeypatch.setenv("CODER_SESSION_TOKEN", server.tokens["owner"])
        result = run(
            pytester,
            f"""
            def test_target(coder_audit_target):
                assert not coder_audit_target.in_process
                assert coder_audit_target.description == {url!r}
                response = coder_audit_target.client.get(
                    "/api/v2/audit", headers=coder_audit_target.auth("owner"))
                assert response.json()["count"] == 3
            """,
        )
        result.assert_outcomes(passed=1)
        entries = server.journal.entries()
    assert [(entry.path, entry.role) for entry in entries] == [("/api/v2/audit", "owner")]
    result.stdout.fnmatch_lines(
        [f"coder-audit: seed=0 target={url} (owner token from CODER_SESSION_TOKEN)"]
    )
