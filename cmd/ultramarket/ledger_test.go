package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/commerce/ledger"
	"github.com/ultramarket/ultramarket/store"
)

// TestLedgerCheckCLI: on a closed data dir with gift card and wallet movements, `ledger
// check` proves the ledger balances; after a balance row is edited directly in the store it
// exits 1 naming that account.
func TestLedgerCheckCLI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if code, out, errOut := ultramarket("admin", "user", "create", "--data", dir, "--email", "staff@shop.example",
		"--password", "violet-harbor-917-lantern", "--role", "ADMIN"); code != 0 {
		t.Fatalf("admin user create: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := ultramarket("ledger", "check", "--data", dir); code != 0 || !strings.HasPrefix(out, "ledger balances: 0 transactions") {
		t.Fatalf("ledger check on an empty ledger: exit %d\n%s%s", code, out, errOut)
	}

	ctx := context.Background()
	withStore := func(fn func(db *store.DB) error) {
		t.Helper()
		db, err := store.Open(ctx, store.Config{Dir: filepath.Join(dir, "kv"), DiskGuardOff: true})
		if err != nil {
			t.Fatal(err)
		}
		err = fn(db)
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	var cardID string
	withStore(func(db *store.DB) error {
		l := ledger.NewService(store.NewLedger(db), nil)
		v, _, err := l.IssueGiftCard(ctx, "cli", ledger.IssueInput{InitialValue: commerce.Money{Amount: 5000, Currency: "USD"}})
		if err != nil {
			return err
		}
		cardID = v.ID
		_, _, err = l.AdjustWallet(ctx, "cli", "u1", false, ledger.AdjustInput{Amount: commerce.Money{Amount: 700, Currency: "UZS"}, Reason: "goodwill"})
		return err
	})
	code, out, errOut := ultramarket("ledger", "check", "--data", dir)
	if code != 0 || out != "ledger balances: 2 transactions, 4 entries, 4 accounts (USD, UZS sum to 0)\n" {
		t.Fatalf("ledger check: exit %d\n%s%s", code, out, errOut)
	}

	// Edit the gift card's balance row behind the ledger's back.
	account := ledger.GiftCardAccount(cardID)
	withStore(func(db *store.DB) error {
		return db.Update(ctx, func(tx *store.Tx) error {
			k := store.Key("ledger/account/", account)
			v, err := tx.Get(k)
			if err != nil {
				return err
			}
			edited := bytes.Replace(v, []byte(`"balance":5000`), []byte(`"balance":9000`), 1)
			if bytes.Equal(edited, v) {
				return fmt.Errorf("no balance 5000 in %s", v)
			}
			tx.Set(k, edited)
			return nil
		})
	})
	code, out, errOut = ultramarket("ledger", "check", "--data", dir)
	if code != 1 || !strings.HasPrefix(out, "ledger does not balance: account "+account+": stored balance 9000 USD, its entries sum to 5000") {
		t.Fatalf("ledger check after editing %s: exit %d, want 1 naming it\n%s%s", account, code, out, errOut)
	}
}
