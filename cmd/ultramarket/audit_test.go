package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/store"
)

// ultramarket runs the command line as the binary would and returns its exit status and output.
func ultramarket(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestAuditVerifyCLI: on a closed data dir, `audit verify` proves the chain intact; after an
// entry is edited directly in the store it fails, naming that entry; `audit list` shows the
// entries newest first.
func TestAuditVerifyCLI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	for i := range 3 {
		code, out, errOut := ultramarket("admin", "user", "create", "--data", dir, "--email", fmt.Sprintf("staff%d@shop.example", i),
			"--password", "violet-harbor-917-lantern", "--role", "ADMIN")
		if code != 0 {
			t.Fatalf("admin user create: exit %d\n%s%s", code, out, errOut)
		}
	}
	code, out, errOut := ultramarket("audit", "verify", "--data", dir)
	if code != 0 || !strings.HasPrefix(out, "audit log intact: ") || !strings.Contains(out, " entries, head #") {
		t.Fatalf("audit verify on an untouched log: exit %d\n%s%s", code, out, errOut)
	}
	var entries int
	if _, err := fmt.Sscanf(out, "audit log intact: %d entries", &entries); err != nil || entries < 3 {
		t.Fatalf("audit verify counts %d entries (%v), want at least the 3 user creations\n%s", entries, err, out)
	}

	code, out, errOut = ultramarket("audit", "list", "--data", dir, "--action", "auth.*", "--limit", "2")
	if code != 0 || strings.Count(out, "auth.") != 2 || !strings.HasPrefix(out, "SEQ") {
		t.Fatalf("audit list --limit 2: exit %d, want a header and 2 auth.* rows\n%s%s", code, out, errOut)
	}
	if code, _, errOut := ultramarket("audit", "list", "--data", dir, "--action", "a*b"); code != 2 || !strings.Contains(errOut, "action") {
		t.Errorf("audit list with a bad --action: exit %d, want 2 naming action\n%s", code, errOut)
	}

	// Edit entry #2 behind the log's back: a raw write that emits no event.
	db, err := store.Open(context.Background(), store.Config{Dir: filepath.Join(dir, "kv"), DiskGuardOff: true})
	if err != nil {
		t.Fatal(err)
	}
	key := store.Uint64Key("audit/entry/", 2)
	err = db.Update(context.Background(), func(tx *store.Tx) error {
		v, err := tx.Get(key)
		if err != nil {
			return err
		}
		edited := bytes.Replace(v, []byte(`"actor_id":"`), []byte(`"actor_id":"x`), 1)
		if bytes.Equal(edited, v) {
			return fmt.Errorf("entry #2 has no actor_id: %s", v)
		}
		tx.Set(key, edited)
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}

	code, out, errOut = ultramarket("audit", "verify", "--data", dir)
	if code != 1 || !strings.HasPrefix(out, "audit log broken at entry #2: hash mismatch") {
		t.Fatalf("audit verify after editing entry #2: exit %d, want 1 naming entry #2\n%s%s", code, out, errOut)
	}
}
