"""The "newest" Coder version: v2.35.1 as recorded, read from a6afcd046fd2 (2026-07-08). The default.

```
facts.py          Coder's observable facts of this version (plain data, stdlib only), read by
                  the mock (profile.py, the engine's modules) and by the contract kit alike
kit.py            what the contract kit needs beyond the facts (its flags and waiver facts)
profile.py        PROFILE: the mock's `Profile`, the facts plus the engine's own functions
openapi_build.py  build_document(base): this version's OpenAPI document (tools/build_openapi.py)
openapi.json      the document it builds (package data, served at /openapi.json)
```

This `__init__` imports nothing, so the engine's low modules (`_model`, `_auth`) can read
`facts` without importing the server.
"""
