package codersdktest

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/coder/coder/v2/codersdk"
)

// Texts of Coder v2.35.1 (coderd/httpapi/queryparams.go, coderd/searchquery/search.go,
// coderd/pagination.go, coderd/httpmw/apikey.go, coderd/httpapi/httpapi.go).
const (
	searchMessage   = "Invalid audit search query."
	pagingMessage   = "Query parameters have invalid values."
	signedOut       = "You are signed out or your session has expired. Please sign in again to continue."
	forbiddenDetail = "You don't have permission to view this content. If you believe this is a mistake, please contact your administrator or try signing in with different credentials."
)

func notAParam(key string) codersdk.ValidationError {
	return codersdk.ValidationError{Field: key, Detail: fmt.Sprintf("%q is not a valid query param", key)}
}

func badEnum(key, value string) codersdk.ValidationError {
	return codersdk.ValidationError{Field: key, Detail: fmt.Sprintf("Query param %q has invalid value: %q is not a valid value", key, value)}
}

func badUUID(key string) codersdk.ValidationError {
	return codersdk.ValidationError{Field: key, Detail: fmt.Sprintf("Query param %q must be a valid uuid", key)}
}

func badDate(key, value string) codersdk.ValidationError {
	_, err := time.Parse("2006-01-02", value) // the very call Coder makes
	return codersdk.ValidationError{Field: key, Detail: fmt.Sprintf("Query param %q must be a valid date format (%s): %v", key, "2006-01-02", err)}
}

func twice(key string) codersdk.ValidationError {
	return codersdk.ValidationError{Field: key, Detail: fmt.Sprintf("Query param %q provided more than once, found 2 times. Only provide 1 instance of this query param.", key)}
}

func badInt32(key, value string) codersdk.ValidationError {
	var reason string
	if n, err := strconv.ParseInt(value, 10, 32); err != nil {
		reason = err.Error()
	} else if n < 0 {
		reason = "value is negative"
	}
	return codersdk.ValidationError{Field: key, Detail: fmt.Sprintf("Query param %q must be a valid 32-bit positive integer: %s", key, reason)}
}

func qElement(detail string) codersdk.ValidationError {
	return codersdk.ValidationError{Field: "q", Detail: detail}
}

func formatValidations(vs []codersdk.ValidationError) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprintf("{%s: %s}", v.Field, v.Detail)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// sameValidations compares as lists when ordered, else as multisets (the unknown-key errors
// come from a map iteration in Coder, in no fixed order).
func sameValidations(got, want []codersdk.ValidationError, ordered bool) bool {
	if len(got) != len(want) {
		return false
	}
	g := append([]codersdk.ValidationError(nil), got...)
	w := append([]codersdk.ValidationError(nil), want...)
	if !ordered {
		less := func(s []codersdk.ValidationError) func(i, j int) bool {
			return func(i, j int) bool { return s[i].Field+"\x00"+s[i].Detail < s[j].Field+"\x00"+s[j].Detail }
		}
		sort.Slice(g, less(g))
		sort.Slice(w, less(w))
	}
	for i := range g {
		if g[i] != w[i] {
			return false
		}
	}
	return true
}

// TestBadSearchQueries: each bad query is a 400 whose *codersdk.Error carries Coder's message
// and its validations, field by field.
func TestBadSearchQueries(t *testing.T) {
	cfg := loadConfig(t)
	ctx := testContext(t)
	c := newClient(cfg, cfg.ownerToken)
	noOrg := "no-such-org-" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12]

	cases := []struct {
		q       string
		want    []codersdk.ValidationError
		ordered bool
	}{
		{"action:nope", []codersdk.ValidationError{badEnum("action", "nope")}, true},
		{"Action:NOPE", []codersdk.ValidationError{badEnum("action", "nope")}, true},
		{"resource_type:nope", []codersdk.ValidationError{badEnum("resource_type", "nope")}, true},
		{"nope", []codersdk.ValidationError{badEnum("resource_type", "nope")}, true},
		{"build_reason:nope", []codersdk.ValidationError{badEnum("build_reason", "nope")}, true},
		{"unknown_key:x", []codersdk.ValidationError{notAParam("unknown_key")}, true},
		// There is no status code filter in v2.35.1.
		{"status_code:200", []codersdk.ValidationError{notAParam("status_code")}, true},
		{"request_id:nope", []codersdk.ValidationError{badUUID("request_id")}, true},
		{"resource_id:nope", []codersdk.ValidationError{badUUID("resource_id")}, true},
		{"date_from:2024-13-01", []codersdk.ValidationError{badDate("date_from", "2024-13-01")}, true},
		{"date_to:yesterday", []codersdk.ValidationError{badDate("date_to", "yesterday")}, true},
		{"action:create action:delete", []codersdk.ValidationError{twice("action")}, true},
		// Words without a colon are joined into one resource_type value (processTokens).
		{"workspace template", []codersdk.ValidationError{badEnum("resource_type", "workspace template")}, true},
		{"workspace action:create resource_type:template", []codersdk.ValidationError{twice("resource_type")}, true},
		{"organization:" + noOrg, []codersdk.ValidationError{{
			Field:  "organization",
			Detail: fmt.Sprintf("Query param %q has invalid value: organization %q either does not exist, or you are unauthorized to view it", "organization", noOrg),
		}}, true},
		{"action:", []codersdk.ValidationError{qElement(`Query element "action:" cannot start or end with ':'`)}, true},
		{":create", []codersdk.ValidationError{qElement(`Query element ":create" cannot start or end with ':'`)}, true},
		{"a:b:c", []codersdk.ValidationError{qElement(`Query element "a:b:c" can only contain 1 ':'`)}, true},
		// Every key error together, in the order searchquery.AuditLogs parses the keys.
		{"build_reason:nope action:nope resource_id:nope date_to:x", []codersdk.ValidationError{
			badUUID("resource_id"), badDate("date_to", "x"), badEnum("action", "nope"), badEnum("build_reason", "nope"),
		}, true},
		{"action:nope foo:bar zzz:1", []codersdk.ValidationError{badEnum("action", "nope"), notAParam("foo"), notAParam("zzz")}, false},
	}
	for _, tc := range cases {
		t.Run(tc.q, func(t *testing.T) {
			_, err := c.AuditLogs(ctx, codersdk.AuditLogsRequest{SearchQuery: tc.q})
			sdkErr := sdkError(t, "q="+tc.q, err)
			if sdkErr.StatusCode() != http.StatusBadRequest {
				t.Fatalf("q=%q: status %d, want 400: %v", tc.q, sdkErr.StatusCode(), sdkErr)
			}
			if sdkErr.Message != searchMessage {
				t.Errorf("q=%q: message %q, want %q", tc.q, sdkErr.Message, searchMessage)
			}
			if len(sdkErr.Validations) == 0 {
				t.Fatalf("q=%q: no validations", tc.q)
			}
			if !sameValidations(sdkErr.Validations, tc.want, tc.ordered) {
				t.Errorf("q=%q: validations\n got %s\nwant %s", tc.q, formatValidations(sdkErr.Validations), formatValidations(tc.want))
			}
		})
	}
}

// TestBadPaging: limit, offset and after_id are checked before the search query. codersdk
// never sends a limit or offset <= 0, so these go through client.Request.
func TestBadPaging(t *testing.T) {
	cfg := loadConfig(t)
	ctx := testContext(t)
	c := newClient(cfg, cfg.ownerToken)
	cases := []struct {
		params [][2]string
		want   []codersdk.ValidationError
	}{
		{[][2]string{{"limit", "-1"}}, []codersdk.ValidationError{badInt32("limit", "-1")}},
		{[][2]string{{"offset", "-1"}}, []codersdk.ValidationError{badInt32("offset", "-1")}},
		{[][2]string{{"limit", "abc"}}, []codersdk.ValidationError{badInt32("limit", "abc")}},
		{[][2]string{{"limit", "2147483648"}}, []codersdk.ValidationError{badInt32("limit", "2147483648")}},
		{[][2]string{{"offset", "1.5"}}, []codersdk.ValidationError{badInt32("offset", "1.5")}},
		{[][2]string{{"after_id", "nope"}}, []codersdk.ValidationError{badUUID("after_id")}},
		{[][2]string{{"offset", "-1"}, {"limit", "-1"}, {"after_id", "x"}}, []codersdk.ValidationError{
			badUUID("after_id"), badInt32("limit", "-1"), badInt32("offset", "-1"),
		}},
		// The paging check comes first: the bad search query is not reported.
		{[][2]string{{"limit", "-1"}, {"q", "action:nope"}}, []codersdk.ValidationError{badInt32("limit", "-1")}},
	}
	for _, tc := range cases {
		var opts []codersdk.RequestOption
		var desc []string
		for _, p := range tc.params {
			opts = append(opts, codersdk.WithQueryParam(p[0], p[1]))
			desc = append(desc, p[0]+"="+p[1])
		}
		name := strings.Join(desc, "&")
		t.Run(name, func(t *testing.T) {
			res, err := c.Request(ctx, http.MethodGet, "/api/v2/audit", nil, opts...)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			defer res.Body.Close()
			if res.StatusCode != http.StatusBadRequest {
				t.Fatalf("%s: status %d, want 400", name, res.StatusCode)
			}
			sdkErr := sdkError(t, name, codersdk.ReadBodyAsError(res))
			if sdkErr.StatusCode() != http.StatusBadRequest || sdkErr.Message != pagingMessage {
				t.Errorf("%s: status %d message %q, want 400 %q", name, sdkErr.StatusCode(), sdkErr.Message, pagingMessage)
			}
			if !sameValidations(sdkErr.Validations, tc.want, true) {
				t.Errorf("%s: validations\n got %s\nwant %s", name, formatValidations(sdkErr.Validations), formatValidations(tc.want))
			}
		})
	}
}

// TestErrorBodiesDecoded: error bodies decode into codersdk.Response with nothing lost.
func TestErrorBodiesDecoded(t *testing.T) {
	cfg := loadConfig(t)
	ctx := testContext(t)
	for _, tc := range []struct {
		token  string
		query  url.Values
		status int
	}{
		{cfg.ownerToken, url.Values{"q": {"action:nope foo:bar"}}, http.StatusBadRequest},
		{cfg.ownerToken, url.Values{"limit": {"-1"}}, http.StatusBadRequest},
		{"", nil, http.StatusUnauthorized},
		{cfg.memberToken, nil, http.StatusForbidden},
	} {
		if tc.status == http.StatusForbidden && tc.token == "" {
			continue // no member token given
		}
		status, _, body := rawGet(t, ctx, cfg, tc.token, tc.query)
		if status != tc.status {
			t.Errorf("GET ?%s: status %d, want %d: %s", tc.query.Encode(), status, tc.status, body)
			continue
		}
		diffs, err := roundTripDiff[codersdk.Response](body)
		if err != nil {
			t.Errorf("GET ?%s (%d): %v", tc.query.Encode(), status, err)
		}
		for _, d := range diffs {
			t.Errorf("GET ?%s (%d): %s", tc.query.Encode(), status, d)
		}
	}
}

// TestUnauthenticated: without a valid token the answer is a 401 *codersdk.Error, before any
// check of the query.
func TestUnauthenticated(t *testing.T) {
	cfg := loadConfig(t)
	ctx := testContext(t)
	ownerID, _, _ := strings.Cut(cfg.ownerToken, "-")
	cases := []struct {
		name, token, detail string
	}{
		{"no token", "", fmt.Sprintf("Cookie %q or query parameter must be provided.", codersdk.SessionTokenCookie)},
		{"malformed token", "nope", "Invalid API key format: incorrect amount of API key parts, expected 2 got 1"},
		{"short id", "abc-0123456789abcdefghijkl", "Invalid API key format: invalid API key ID length, expected 10 got 3"},
		{"unknown id", "zz" + strings.ReplaceAll(uuid.NewString(), "-", "")[:8] + "-0123456789abcdefghijkl", "API key is invalid."},
		{"wrong secret", ownerID + "-0123456789abcdefghijkl", "API key secret is invalid."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(cfg, tc.token)
			for _, q := range []string{"", "action:nope"} {
				_, err := c.AuditLogs(ctx, codersdk.AuditLogsRequest{SearchQuery: q})
				sdkErr := sdkError(t, tc.name, err)
				if sdkErr.StatusCode() != http.StatusUnauthorized {
					t.Errorf("%s, q=%q: status %d, want 401: %v", tc.name, q, sdkErr.StatusCode(), sdkErr)
				}
				if sdkErr.Message != signedOut || sdkErr.Detail != tc.detail {
					t.Errorf("%s, q=%q: message %q detail %q, want %q %q", tc.name, q, sdkErr.Message, sdkErr.Detail, signedOut, tc.detail)
				}
			}
		})
	}
	status, header, _ := rawGet(t, ctx, cfg, "", nil)
	if status == http.StatusUnauthorized && header.Get("WWW-Authenticate") == "" {
		t.Errorf("401 without a WWW-Authenticate header")
	}
}
