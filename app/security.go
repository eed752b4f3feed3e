package app

import (
	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/config"
)

// securityConfig is the sign-in policy from config: roles that must use 2FA, the TOTP
// issuer and the lockout. config.Validate has checked the role names.
func securityConfig(cfg config.Config) auth.SecurityConfig {
	sc := auth.SecurityConfig{
		TOTPIssuer:       cfg.Auth.TOTPIssuer,
		LockoutThreshold: cfg.Auth.LockoutThreshold,
		LockoutDuration:  cfg.Auth.LockoutDuration.Duration,
	}
	for _, r := range cfg.Auth.Require2FA {
		if role, err := auth.ParseRole(r); err == nil {
			sc.Require2FA = append(sc.Require2FA, role)
		}
	}
	return sc
}
