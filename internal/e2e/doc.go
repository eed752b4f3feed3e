// Package e2e holds black-box tests of the ultramarket binary. TestMain builds
// ./cmd/ultramarket once; every test then runs it as a separate process on its own temporary
// data dir and a 127.0.0.1 address, and checks what an operator sees: exit codes, messages,
// signals, the admin socket, crash recovery, backups and the demo shop.
//
// The payment gateway tests (gateways_*_test.go) run the app in-process instead
// (internal/apptest) against local fakes of the gateways' APIs.
//
//	go test ./internal/e2e/
package e2e
