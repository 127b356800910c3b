// Package codersdktest holds tests, and nothing else, that call a Coder audit-log API through
// Coder's own Go client, github.com/coder/coder/v2/codersdk at v2.35.1: the coder-audit-mock
// (`coder-audit-mock serve`) or a real Coder v2.35.1.
//
// The tests are configured by environment variables (docs/codersdk.md in the repository):
//
//	CODER_URL                server root, e.g. http://127.0.0.1:3000; unset: every test skips
//	CODER_TOKEN              an owner's session token (CODER_SESSION_TOKEN is read too)
//	CODER_AUDITOR_TOKEN      optional: a site auditor's token
//	CODER_ORG_AUDITOR_TOKEN  optional: an organization auditor's token
//	CODER_MEMBER_TOKEN       optional: a plain member's token
//	CODER_ALLOW_WRITES=1     optional: run the tests that POST /api/v2/audit/testgenerate
//	CODER_MAX_LOGS           optional: read at most this many logs per walk (default 10000)
//
// Every assertion is an invariant that Coder v2.35.1's source guarantees for any data, so the
// same tests run unchanged against the mock's seeded data and against a real deployment.
package codersdktest
