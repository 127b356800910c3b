"""`python -m coder_audit_mock` and the `coder-audit-mock` console script.

Example:
    $ coder-audit-mock serve --port 3000 --seed 0
"""

from coder_audit_mock._cli import main

__all__ = ["main"]

if __name__ == "__main__":
    raise SystemExit(main())
