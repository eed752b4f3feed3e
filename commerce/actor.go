package commerce

import "context"

// Actor is who a use case runs for: a signed-in user, an anonymous client, the operator's
// CLI or the system itself. The HTTP layer and the admin commands put one in the context;
// the store reads it to fill events' Actor and to decide what goes into the audit log.
type Actor struct {
	ID        string `json:"id"`                   // "user:<id>", "anonymous", "cli" or "system"
	UserID    string `json:"user_id,omitempty"`    // the signed-in user, if any
	Role      string `json:"role,omitempty"`       // the user's role when the request was made
	Staff     bool   `json:"staff,omitempty"`      // an administrator or the operator: every write is audited
	IP        string `json:"ip,omitempty"`         // client IP (after trusted proxies)
	RequestID string `json:"request_id,omitempty"` // the HTTP request's X-Request-Id
}

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor ctx carries; ok is false when there is none.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}
