// Package auth owns identities: the user record, roles, password hashing (argon2id) and the
// password and e-mail rules, the use cases that create and administer users, and sign-in:
// registration, login, sessions with rotated refresh tokens, logout and the user's own
// profile. Access tokens are short-lived HS256 JWTs verified without a store read; refresh
// tokens are opaque 256-bit secrets stored only as SHA-256 hashes, rotated on every use, and
// a rotated one presented again revokes its whole session. It declares the storage it needs
// (Users, Sessions) and never imports an engine or the store; the store adapter implements
// them and writes each change with its index rows and events in one atomic batch.
package auth
