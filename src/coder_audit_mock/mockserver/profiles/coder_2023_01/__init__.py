"""The "2023-01" Coder version: Coder e67d131514 (2023-01-03), the seed document's era.

```
facts.py               Coder's observable facts of this version (plain data, stdlib only)
kit.py                 what the contract kit needs beyond the facts (its flags, waiver facts)
profile.py             PROFILE: the mock's `Profile` (facts + the strategies below)
search.py              the lenient `q` parser of 2023-01 (§2.2)
pagination.py          `parsePagination` of 2023-01 and its SQL window (§3.4, §3.2)
render.py              the log JSON of 2023-01: user object, keys, descriptions (§4.5-§4.7)
data.py                the seeded data's reshaping to 2023-01's additional fields (§4.5, §8)
openapi_build.py       build_document(base): this version's OpenAPI document
openapi-2023-01.json   the document it builds (package data)
```

No server of that era was recorded; the behaviour is read from the source at that commit.
This `__init__` imports nothing, so `facts` can be read without importing the server.
"""
