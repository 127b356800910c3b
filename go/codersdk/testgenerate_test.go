package codersdktest

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/coder/coder/v2/codersdk"
)

// requireWrites skips unless CODER_ALLOW_WRITES=1: these tests add logs to the server.
func requireWrites(t *testing.T, cfg config) {
	t.Helper()
	if !cfg.allowWrites {
		t.Skip("CODER_ALLOW_WRITES is not 1: this test POSTs /api/v2/audit/testgenerate, which adds logs " +
			"(`tox run -e go` sets it for its throwaway mock; never set it for a server you care about)")
	}
}

// readBack returns the logs with request_id id (one page: there should be at most one).
func readBack(t *testing.T, ctx context.Context, c *codersdk.Client, id uuid.UUID) codersdk.AuditLogResponse {
	t.Helper()
	return page(t, ctx, c, "request_id:"+id.String(), 10, 0)
}

// TestTestGenerate: CreateTestAuditLog stores a log that reads back with the values sent and
// those coderd/audit.go's generateFakeAuditLog fills in.
func TestTestGenerate(t *testing.T) {
	cfg := loadConfig(t)
	requireWrites(t, cfg)
	ctx := testContext(t)
	c := newClient(cfg, cfg.ownerToken)

	t.Run("values sent", func(t *testing.T) {
		req := codersdk.CreateTestAuditLogRequest{
			Action:           codersdk.AuditActionCreate,
			ResourceType:     codersdk.ResourceTypeTemplate,
			ResourceID:       uuid.New(),
			AdditionalFields: json.RawMessage(`{"written_by":"coder-audit-mock go/codersdk tests","n":1}`),
			// Postgres keeps microseconds.
			Time:      time.Now().UTC().Add(-time.Minute).Truncate(time.Microsecond),
			RequestID: uuid.New(),
		}
		if err := c.CreateTestAuditLog(ctx, req); err != nil {
			t.Fatalf("CreateTestAuditLog: %v", err)
		}
		res := readBack(t, ctx, c, req.RequestID)
		if res.Count != 1 || len(res.AuditLogs) != 1 {
			t.Fatalf("request_id:%s: count %d, %d logs, want exactly the one created", req.RequestID, res.Count, len(res.AuditLogs))
		}
		l := res.AuditLogs[0]
		if l.Action != req.Action || l.ResourceType != req.ResourceType || l.ResourceID != req.ResourceID || l.RequestID != req.RequestID {
			t.Errorf("read back action %s resource_type %s resource_id %s request_id %s, want %s %s %s %s",
				l.Action, l.ResourceType, l.ResourceID, l.RequestID, req.Action, req.ResourceType, req.ResourceID, req.RequestID)
		}
		if !l.Time.Equal(req.Time) {
			t.Errorf("read back time %s, want %s", l.Time.Format(time.RFC3339Nano), req.Time.Format(time.RFC3339Nano))
		}
		checkGenerated(t, l)
		var gotFields, wantFields any
		_ = json.Unmarshal(l.AdditionalFields, &gotFields)
		_ = json.Unmarshal(req.AdditionalFields, &wantFields)
		if !reflect.DeepEqual(gotFields, wantFields) {
			t.Errorf("additional_fields %s, want %s", l.AdditionalFields, req.AdditionalFields)
		}
		if l.OrganizationID != uuid.Nil || l.Organization != nil {
			t.Errorf("organization_id %s (organization %v), want none: none was sent", l.OrganizationID, l.Organization)
		}
		// It is found by its other fields too.
		byResource := page(t, ctx, c, "resource_id:"+req.ResourceID.String(), 10, 0)
		if byResource.Count != 1 || len(byResource.AuditLogs) != 1 || byResource.AuditLogs[0].ID != l.ID {
			t.Errorf("resource_id:%s: count %d, %d logs, want the one created (%s)", req.ResourceID, byResource.Count, len(byResource.AuditLogs), l.ID)
		}
	})

	t.Run("defaults", func(t *testing.T) {
		// Only a request id, to find it again: action write, resource type user, a new resource
		// id, additional_fields {}.
		id := uuid.New()
		if err := c.CreateTestAuditLog(ctx, codersdk.CreateTestAuditLogRequest{RequestID: id}); err != nil {
			t.Fatalf("CreateTestAuditLog: %v", err)
		}
		res := readBack(t, ctx, c, id)
		if res.Count != 1 || len(res.AuditLogs) != 1 {
			t.Fatalf("request_id:%s: count %d, %d logs, want exactly the one created", id, res.Count, len(res.AuditLogs))
		}
		l := res.AuditLogs[0]
		if l.Action != codersdk.AuditActionWrite || l.ResourceType != codersdk.ResourceTypeUser || l.ResourceID == uuid.Nil {
			t.Errorf("defaults: action %s resource_type %s resource_id %s, want write, user, a new id", l.Action, l.ResourceType, l.ResourceID)
		}
		if string(l.AdditionalFields) != "{}" {
			t.Errorf("defaults: additional_fields %s, want {}", l.AdditionalFields)
		}
		checkGenerated(t, l)
		t.Logf("default time: %s", l.Time.Format(time.RFC3339Nano))
	})

	t.Run("newest first includes it", func(t *testing.T) {
		id := uuid.New()
		now := time.Now().UTC().Add(time.Hour).Truncate(time.Microsecond) // newer than the rest
		if err := c.CreateTestAuditLog(ctx, codersdk.CreateTestAuditLogRequest{RequestID: id, Time: now}); err != nil {
			t.Fatalf("CreateTestAuditLog: %v", err)
		}
		first := page(t, ctx, c, "", 1, 0)
		if len(first.AuditLogs) != 1 || first.AuditLogs[0].RequestID != id {
			t.Logf("the newest log is not the one just created at %s (a log dated later exists)", now)
			if len(first.AuditLogs) == 1 && first.AuditLogs[0].Time.Before(now) {
				t.Errorf("the newest log (%s, %s) is older than the one created at %s", first.AuditLogs[0].ID, first.AuditLogs[0].Time, now)
			}
		}
	})

	t.Run("refused callers", func(t *testing.T) {
		// CreateTestAuditLog returns a nil error for every status but 204 in v2.35.1
		// (`if res.StatusCode != http.StatusNoContent { return err }` with err == nil), so
		// refusals are checked with client.Request. An auditor passes the route's read check
		// but dbauthz refuses the insert, which the handler reports as a 500; a member is
		// refused by the route (403). Neither stores anything.
		for _, caller := range []struct {
			role, token string
			status      int
		}{
			{"auditor", cfg.auditorToken, http.StatusInternalServerError},
			{"member", cfg.memberToken, http.StatusForbidden},
		} {
			if caller.token == "" {
				t.Logf("no %s token: skipped", caller.role)
				continue
			}
			id := uuid.New()
			res, err := newClient(cfg, caller.token).Request(ctx, http.MethodPost, "/api/v2/audit/testgenerate",
				codersdk.CreateTestAuditLogRequest{RequestID: id})
			if err != nil {
				t.Fatalf("%s: %v", caller.role, err)
			}
			sdkErr := sdkError(t, caller.role, codersdk.ReadBodyAsError(res))
			_ = res.Body.Close()
			if sdkErr.StatusCode() != caller.status {
				t.Errorf("%s: testgenerate status %d, want %d: %v", caller.role, sdkErr.StatusCode(), caller.status, sdkErr)
			}
			if got := readBack(t, ctx, c, id); got.Count != 0 {
				t.Errorf("%s: a refused testgenerate stored %d log(s)", caller.role, got.Count)
			}
			// What codersdk's own method says about the refusal.
			if err := newClient(cfg, caller.token).CreateTestAuditLog(ctx, codersdk.CreateTestAuditLogRequest{RequestID: uuid.New()}); err != nil {
				t.Logf("%s: CreateTestAuditLog returned %v", caller.role, err)
			} else {
				t.Logf("%s: CreateTestAuditLog returned nil for a refused request (codersdk v2.35.1 drops non-204 answers)", caller.role)
			}
		}
	})
}

// checkGenerated checks what generateFakeAuditLog sets whatever was sent.
func checkGenerated(t *testing.T, l codersdk.AuditLog) {
	t.Helper()
	want := codersdk.AuditDiff{"foo": {Old: "bar", New: "baz"}}
	if !reflect.DeepEqual(l.Diff, want) {
		t.Errorf("diff %+v, want %+v", l.Diff, want)
	}
	if l.StatusCode != http.StatusOK {
		t.Errorf("status_code %d, want 200", l.StatusCode)
	}
	if l.User == nil {
		t.Fatalf("user is null, want the caller")
	}
	if l.ResourceTarget != l.User.Username {
		t.Errorf("resource_target %q, want the caller's username %q", l.ResourceTarget, l.User.Username)
	}
	if l.ResourceIcon != "" {
		t.Errorf("resource_icon %q, want \"\"", l.ResourceIcon)
	}
}
