package auth

import (
	"context"
	"sort"

	"github.com/ultramarket/ultramarket/commerce"
)

// SessionLister lists the sessions of one user. The store adapter of Sessions implements it.
type SessionLister interface {
	// UserSessions returns every stored session of the user (revoked and expired ones
	// included, until they are purged), in any order.
	UserSessions(ctx context.Context, userID string) ([]Session, error)
}

// RevokeByUser is why a session ends when its user signs it out from the session list.
const RevokeByUser = "revoked_by_user"

// SessionInfo is one of a user's live sessions as they see it; Current marks the session of
// the access token that asked. It never carries a token.
type SessionInfo struct {
	Session
	Current bool
}

// MySessions returns p's live sessions (not revoked, not expired), newest first.
func (s *Service) MySessions(ctx context.Context, p Principal) ([]SessionInfo, error) {
	if s.tokens == nil {
		return nil, ErrTokensUnavailable
	}
	sl, ok := s.tokens.sessions.(SessionLister)
	if !ok {
		return nil, ErrTokensUnavailable
	}
	all, err := sl.UserSessions(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	now := s.tokens.cfg.Clock.Now()
	out := make([]SessionInfo, 0, len(all))
	for _, x := range all {
		if x.UserID != p.UserID || x.Revoked || !now.Before(x.ExpiresAt) {
			continue
		}
		out = append(out, SessionInfo{Session: x, Current: x.ID == p.SessionID})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

// RevokeMySession ends one of p's sessions at once: its refresh tokens stop working and so
// do its access tokens on this process; the store emits auth.session_revoked. A session that
// is not p's, or is already revoked or expired, is ErrSessionNotFound (the same answer as
// for an ID that does not exist, so other users' session IDs cannot be probed).
func (s *Service) RevokeMySession(ctx context.Context, p Principal, id string) error {
	if s.tokens == nil {
		return ErrTokensUnavailable
	}
	if !commerce.ValidID(id) {
		return ErrSessionNotFound
	}
	now := s.tokens.cfg.Clock.Now()
	return s.tokens.revokeSession(ctx, id, RevokeByUser, func(x *Session) error {
		if x.UserID != p.UserID || x.Revoked || !now.Before(x.ExpiresAt) {
			return ErrSessionNotFound
		}
		return nil
	})
}
