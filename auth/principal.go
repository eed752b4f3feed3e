package auth

// Principal is who a request acts as once its access token has been verified.
type Principal struct {
	UserID    string `json:"user_id"`
	Role      Role   `json:"role"`
	SessionID string `json:"session_id,omitempty"` // the refresh-token family the access token was issued with
}

// Actor names the principal in events and histories ("user:<id>").
func (p Principal) Actor() string {
	if p.UserID == "" {
		return "anonymous"
	}
	return "user:" + p.UserID
}
