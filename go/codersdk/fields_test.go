package codersdktest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/coder/coder/v2/codersdk"
)

// rawGet sends GET /api/v2/audit with plain net/http and returns the status and body.
func rawGet(t *testing.T, ctx context.Context, cfg config, token string, query url.Values) (int, http.Header, []byte) {
	t.Helper()
	u := cfg.url.JoinPath("/api/v2/audit")
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set(codersdk.SessionTokenHeader, token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", u, err)
	}
	return res.StatusCode, res.Header, body
}

// decodeGeneric decodes JSON keeping numbers as written (json.Number), so that large
// integers and exponents compare exactly.
func decodeGeneric(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("more than one JSON value")
	}
	return v, nil
}

// roundTripDiff decodes raw into a new T, encodes that again, and lists where the two JSON
// documents differ as generic values: fields codersdk dropped, fields it added, values changed.
func roundTripDiff[T any](raw []byte) ([]string, error) {
	var typed T
	if err := json.Unmarshal(raw, &typed); err != nil {
		return nil, fmt.Errorf("decoding into %T: %w", typed, err)
	}
	again, err := json.Marshal(typed)
	if err != nil {
		return nil, fmt.Errorf("encoding %T: %w", typed, err)
	}
	want, err := decodeGeneric(raw)
	if err != nil {
		return nil, fmt.Errorf("decoding the server's JSON: %w", err)
	}
	got, err := decodeGeneric(again)
	if err != nil {
		return nil, fmt.Errorf("decoding codersdk's JSON: %w", err)
	}
	var diffs []string
	jsonDiff("$", got, want, &diffs)
	return diffs, nil
}

func jsonDiff(path string, got, want any, out *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: the server sent an object, codersdk re-encodes %s", path, short(got)))
			return
		}
		keys := make([]string, 0, len(w)+len(g))
		for k := range w {
			keys = append(keys, k)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			wv, inW := w[k]
			gv, inG := g[k]
			p := path + "." + k
			switch {
			case !inG:
				*out = append(*out, fmt.Sprintf("%s: sent by the server (%s) but lost by codersdk", p, short(wv)))
			case !inW:
				*out = append(*out, fmt.Sprintf("%s: not sent by the server, added by codersdk (%s)", p, short(gv)))
			default:
				jsonDiff(p, gv, wv, out)
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: the server sent an array, codersdk re-encodes %s", path, short(got)))
			return
		}
		if len(g) != len(w) {
			*out = append(*out, fmt.Sprintf("%s: the server sent %d elements, codersdk re-encodes %d", path, len(w), len(g)))
			return
		}
		for i := range w {
			jsonDiff(path+"["+strconv.Itoa(i)+"]", g[i], w[i], out)
		}
	default:
		if !reflect.DeepEqual(got, want) {
			*out = append(*out, fmt.Sprintf("%s: the server sent %s, codersdk re-encodes %s", path, short(want), short(got)))
		}
	}
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 120 {
		return string(b[:117]) + "..."
	}
	return string(b)
}

// TestEveryFieldDecoded reads the whole log as raw JSON, page by page, decodes each page into
// codersdk's types, encodes it again and compares both as generic JSON: codersdk must neither
// lose a field nor add one nor change a value. It also checks shapes that coderd/audit.go
// guarantees for every log.
func TestEveryFieldDecoded(t *testing.T) {
	cfg := loadConfig(t)
	ctx := testContext(t)
	const size = 250
	total, reported := 0, 0
	for offset := 0; total < cfg.maxLogs; offset += size {
		query := url.Values{"limit": {strconv.Itoa(size)}, "offset": {strconv.Itoa(offset)}}
		status, _, body := rawGet(t, ctx, cfg, cfg.ownerToken, query)
		if status != http.StatusOK {
			t.Fatalf("GET /api/v2/audit?%s: status %d: %s", query.Encode(), status, body)
		}
		diffs, err := roundTripDiff[codersdk.AuditLogResponse](body)
		if err != nil {
			t.Fatalf("offset=%d: %v", offset, err)
		}
		for _, d := range diffs {
			if reported++; reported <= 25 {
				t.Errorf("offset=%d: %s", offset, d)
			}
		}

		// The logs alone, as []codersdk.AuditLog, one by one so that a difference names its log.
		var envelope struct {
			AuditLogs []json.RawMessage `json:"audit_logs"`
		}
		if err := json.Unmarshal(body, &envelope); err != nil {
			t.Fatalf("offset=%d: %v", offset, err)
		}
		var logs []codersdk.AuditLog
		if err := json.Unmarshal(body, &struct {
			AuditLogs *[]codersdk.AuditLog `json:"audit_logs"`
		}{&logs}); err != nil {
			t.Fatalf("offset=%d: decoding audit_logs into []codersdk.AuditLog: %v", offset, err)
		}
		for i, rawLog := range envelope.AuditLogs {
			diffs, err := roundTripDiff[codersdk.AuditLog](rawLog)
			if err != nil {
				t.Fatalf("offset=%d log %d: %v", offset, i, err)
			}
			for _, d := range diffs {
				if reported++; reported <= 25 {
					t.Errorf("log %s: %s", logs[i].ID, d)
				}
			}
			for _, problem := range logShapeProblems(rawLog, logs[i]) {
				if reported++; reported <= 25 {
					t.Errorf("log %s: %s", logs[i].ID, problem)
				}
			}
		}
		total += len(logs)
		if len(logs) < size {
			break
		}
	}
	if reported > 25 {
		t.Errorf("... %d problems in all", reported)
	}
	t.Logf("%d logs compared field by field", total)
}

// logShapeProblems checks what coderd/audit.go's convertAuditLog guarantees for any log.
func logShapeProblems(raw json.RawMessage, l codersdk.AuditLog) []string {
	var problems []string
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return []string{err.Error()}
	}
	// diff starts as codersdk.AuditDiff{} and is filled from a NOT NULL jsonb column.
	if d := bytes.TrimSpace(m["diff"]); len(d) == 0 || d[0] != '{' {
		problems = append(problems, fmt.Sprintf("diff is %s, want an object", d))
	}
	// organization is set exactly when organization_id is not the nil uuid.
	switch {
	case l.OrganizationID == uuid.Nil && l.Organization != nil:
		problems = append(problems, "organization is present but organization_id is the nil uuid")
	case l.OrganizationID != uuid.Nil && l.Organization == nil:
		problems = append(problems, "organization is missing but organization_id is "+l.OrganizationID.String())
	case l.Organization != nil && l.Organization.ID != l.OrganizationID:
		problems = append(problems, fmt.Sprintf("organization.id %s != organization_id %s", l.Organization.ID, l.OrganizationID))
	}
	if l.IsDeleted && l.ResourceLink != "" {
		problems = append(problems, fmt.Sprintf("is_deleted but resource_link is %q, want \"\"", l.ResourceLink))
	}
	// auditLogDescription: "{user} " first, except for request_password_reset.
	if hasUser := strings.HasPrefix(l.Description, "{user} "); hasUser == (l.Action == codersdk.AuditActionRequestPasswordReset) {
		problems = append(problems, fmt.Sprintf("description %q for action %s", l.Description, l.Action))
	}
	if user := bytes.TrimSpace(m["user"]); len(user) > 0 && user[0] == '{' {
		var u map[string]json.RawMessage
		if err := json.Unmarshal(user, &u); err != nil {
			return append(problems, err.Error())
		}
		// db2sdk.User(…, []uuid.UUID{}): organization_ids is always [] in audit logs; roles is
		// made with make(…, 0, n): always an array.
		if ids := string(bytes.TrimSpace(u["organization_ids"])); ids != "[]" {
			problems = append(problems, fmt.Sprintf("user.organization_ids is %s, want []", ids))
		}
		if roles := bytes.TrimSpace(u["roles"]); len(roles) == 0 || roles[0] != '[' {
			problems = append(problems, fmt.Sprintf("user.roles is %s, want an array", roles))
		}
	}
	return problems
}
