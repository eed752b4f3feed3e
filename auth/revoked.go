package auth

// SessionsRevoked cuts off, on this process, the access tokens of sessions that another use
// case revoked in the store within its own update (deleting an account revokes every session
// of the account in the deletion's batch), as RevokeUser does for the sessions it revokes.
func (t *Tokens) SessionsRevoked(ids []string) {
	now := t.cfg.Clock.Now().UTC()
	for _, id := range ids {
		t.markRevoked(id, now)
	}
}
