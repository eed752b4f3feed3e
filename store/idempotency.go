package store

// Idempotency keeps the responses of requests sent with an Idempotency-Key.
type Idempotency struct{ db *DB }
