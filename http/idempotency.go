package http

// IdempotencyStore keeps the responses of requests sent with an Idempotency-Key.
type IdempotencyStore interface{}
