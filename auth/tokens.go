package auth

import (
	"context"

	"github.com/ultramarket/ultramarket/commerce"
)

// Tokens issues and verifies access tokens and refresh tokens.
type Tokens struct{}

// VerifyAccess checks an access token and returns whom it names.
func (t *Tokens) VerifyAccess(ctx context.Context, token string) (Principal, error) {
	return Principal{}, &commerce.Error{Kind: commerce.EUnauthorized, Code: "invalid_token", Message: "invalid access token"}
}
