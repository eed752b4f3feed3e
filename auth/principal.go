package auth

// Principal is who a request acts as once its access token has been verified.
type Principal struct {
	UserID    string `json:"user_id"`
	Role      Role   `json:"role"`
	SessionID string `json:"session_id,omitempty"` // the refresh-token family the access token was issued with
	// MFA is set when the session was signed in with a second factor (amr "otp").
	MFA bool `json:"mfa,omitempty"`
	// EnrolmentOnly is set when the role must use a second factor and this session has
	// none: the token may only enrol 2FA, read the profile and log out.
	EnrolmentOnly bool `json:"enrolment_only,omitempty"`
}

// Actor names the principal in events and histories ("user:<id>").
func (p Principal) Actor() string {
	if p.UserID == "" {
		return "anonymous"
	}
	return "user:" + p.UserID
}
