"""The one curl command builder: every "reproduce" line the project prints comes from here.

```
curl_command(method, url, headers, body, ...) -> str     a shell-safe curl command line
token_variable(role, caller)                  -> str     the variable a role's token is shown as
```

Three reports print reproductions: the contract checks (`contracts/checks.py`), the contract
diff (`contracts/_diff.py`) and the exact differential (`fidelity/_exact.py`). They differ in
their options, in where the URL goes and in how a secret is hidden, so those are parameters;
the quoting (`shlex.quote`, word by word) and the hiding are written once. Standard library
only: the contract kit uses it, and the kit may not use the mock's code (tests/test_layers.py).

Example:
    >>> print(curl_command("GET", "http://c/api/v2/audit?limit=1",
    ...                    [("Coder-Session-Token", "s3cret")], hidden={"s3cret": "TOKEN"}))
    curl -sS -i 'http://c/api/v2/audit?limit=1' -H 'Coder-Session-Token: '"${TOKEN}"''
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["curl_command", "token_variable"]


def curl_command(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]] = (),
    body: str | None = None,
    *,
    options: Sequence[str] = ("-sS", "-i"),
    always_method: bool = False,
    url_last: bool = False,
    origin_variable: str | None = None,
    data_option: str = "--data-raw",
    hidden: Mapping[str, str] | None = None,
    hidden_in_headers: Mapping[str, str] | None = None,
) -> str:
    """A curl command line sending `method url` with `headers` and `body`, each word quoted.

    Args:
        options: curl's options right after `curl`.
        always_method: write `-X GET` too (by default only a method other than GET is given).
        url_last: the URL after the headers and body (by default right after the method).
        origin_variable: `url` is a path, sent to the origin held by this shell variable:
            `"$CODER_URL"/api/v2/audit`.
        data_option: the option that sends `body` (`--data-raw`, `--data-binary`).
        hidden: secret -> variable. Each occurrence anywhere in the command becomes
            `'"${VARIABLE}"'`: it closes and reopens the single quotes, so the secret must sit
            inside a quoted word (a header `Name: value` always is, for its space).
        hidden_in_headers: secret -> variable, in header words only: the header is cut at
            each secret, the pieces quoted one by one and joined by `"${VARIABLE}"`, which
            leaves no empty `''` behind.

    Example:
        >>> curl_command("POST", "/x", [("A", "k-1")], "{}", origin_variable="CODER_URL",
        ...              hidden={"k-1": "K"})
        'curl -sS -i -X POST "$CODER_URL"/x -H \\'A: \\'"${K}"\\'\\' --data-raw \\'{}\\''
        >>> curl_command("GET", "http://c/a", [("A", "k-1")], options=("-sS",),
        ...              always_method=True, url_last=True, hidden_in_headers={"k-1": "K"})
        'curl -sS -X GET -H \\'A: \\'"${K}" http://c/a'
    """
    words = ["curl", *(shlex.quote(option) for option in options)]
    if always_method or method != "GET":
        words += ["-X", shlex.quote(method)]
    target = shlex.quote(url)
    if origin_variable is not None:
        target = f'"${origin_variable}"' + target
    if not url_last:
        words.append(target)
    for name, value in headers:
        words += ["-H", _quote_hiding(f"{name}: {value}", hidden_in_headers or {})]
    if body is not None:
        words += [data_option, shlex.quote(body)]
    if url_last:
        words.append(target)
    command = " ".join(words)
    for secret, variable in (hidden or {}).items():
        command = command.replace(secret, "'\"${" + variable + "}\"'")
    return command


def _quote_hiding(word: str, hidden: Mapping[str, str]) -> str:
    """`word` quoted for the shell, each secret in it written as `"${VARIABLE}"`."""
    for secret, variable in hidden.items():
        if secret and secret in word:
            return f'"${{{variable}}}"'.join(
                _quote_hiding(piece, hidden) if piece else "" for piece in word.split(secret)
            )
    return shlex.quote(word)


def token_variable(role: str, caller: str = "owner") -> str:
    """The shell variable a role's token is shown as: CODER_SESSION_TOKEN for the caller's.

    Example:
        >>> token_variable("owner"), token_variable("org-admin")
        ('CODER_SESSION_TOKEN', 'CODER_ORG_ADMIN_TOKEN')
    """
    if role == caller:
        return "CODER_SESSION_TOKEN"
    return f"CODER_{re.sub(r'[^A-Z0-9]', '_', role.upper())}_TOKEN"
