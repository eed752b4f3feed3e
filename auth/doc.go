// Package auth owns identities: the user record, roles, password hashing (argon2id) and the
// password and e-mail rules, and the use cases that create and administer users. It declares
// the storage it needs (Users) and never imports an engine or the store; the store adapter
// implements Users and writes each change with its index rows and events in one atomic batch.
package auth
