package http_test

import (
	stdhttp "net/http"
	"strconv"
	"testing"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/config"
	"github.com/ultramarket/ultramarket/internal/apptest"
)

// TestAuthRateLimit: /api/v1/auth/ routes allow auth.rate_burst requests at once per client IP,
// then answer 429 rate_limited with Retry-After; a spoofed X-Forwarded-For does not escape the
// bucket unless the peer is a trusted proxy; other routes are not limited.
func TestAuthRateLimit(t *testing.T) {
	login := map[string]string{"email": "nobody@example.com", "password": "wrong password 123"}
	limited := func(trusted ...string) apptest.Option {
		return func(c *config.Config) {
			c.Auth.RateLimit, c.Auth.RateBurst = 1, 3 // a token a minute: no refill during the test
			c.Server.TrustedProxies = trusted
		}
	}

	t.Run("direct clients", func(t *testing.T) {
		a := apptest.New(t, limited())
		ann := a.NewUser(t, auth.RoleCustomer) // its login takes one request of the burst
		for i := range 2 {
			if r := a.Do(t, "POST", "/api/v1/auth/login", login, map[string]string{"X-Forwarded-For": "198.51.100." + strconv.Itoa(i)}); r.Status != stdhttp.StatusUnauthorized {
				t.Fatalf("request %d within the burst: %d %s", i, r.Status, r.Body)
			}
		}
		apptest.Run(t, a, []apptest.Scenario{
			{Name: "beyond the burst", Method: "POST", URL: "/api/v1/auth/login", Body: login,
				ExpectedStatus: stdhttp.StatusTooManyRequests, ExpectedContent: []string{`"code":"rate_limited"`},
				ExpectedHeaders: map[string]string{"Retry-After": "60"}, ExpectedEvents: map[string]int{}},
			{Name: "a spoofed X-Forwarded-For is not believed", Method: "POST", URL: "/api/v1/auth/login", Body: login,
				Headers:        map[string]string{"X-Forwarded-For": "203.0.113.77", "X-Real-IP": "203.0.113.78"},
				ExpectedStatus: stdhttp.StatusTooManyRequests},
			{Name: "every auth route shares the bucket", Method: "POST", URL: "/api/v1/auth/register",
				Body: map[string]string{"email": "x@example.com", "password": "violet-harbor-917", "name": "X"}, ExpectedStatus: stdhttp.StatusTooManyRequests},
			{Name: "other routes are not limited", Method: "GET", URL: "/api/v1/products", ExpectedStatus: stdhttp.StatusOK},
			{Name: "a signed-in user's reads of their account are not limited", Method: "GET", URL: "/api/v1/auth/profile",
				Headers: ann.Bearer(), ExpectedStatus: stdhttp.StatusOK},
			{Name: "but their writes are", Method: "PUT", URL: "/api/v1/auth/profile", Body: map[string]string{"name": "Ann"},
				Headers: ann.Bearer(), ExpectedStatus: stdhttp.StatusTooManyRequests},
			{Name: "a bad token does not pass as a signed-in read", Method: "GET", URL: "/api/v1/auth/profile",
				Headers: apptest.Bearer("forged"), ExpectedStatus: stdhttp.StatusUnauthorized},
		})
	})

	t.Run("behind a trusted proxy", func(t *testing.T) {
		a := apptest.New(t, limited("127.0.0.1"))
		from := func(ip string) map[string]string { return map[string]string{"X-Forwarded-For": ip} }
		for i := range 3 {
			if r := a.Do(t, "POST", "/api/v1/auth/login", login, from("198.51.100.1")); r.Status != stdhttp.StatusUnauthorized {
				t.Fatalf("request %d within the burst: %d %s", i, r.Status, r.Body)
			}
		}
		apptest.Run(t, a, []apptest.Scenario{
			{Name: "the client named by the proxy is limited", Method: "POST", URL: "/api/v1/auth/login", Body: login, Headers: from("198.51.100.1"),
				ExpectedStatus: stdhttp.StatusTooManyRequests, ExpectedHeaders: map[string]string{"Retry-After": "60"}},
			{Name: "another client behind the proxy is not", Method: "POST", URL: "/api/v1/auth/login", Body: login, Headers: from("198.51.100.2"),
				ExpectedStatus: stdhttp.StatusUnauthorized},
			{Name: "a client cannot prepend a fake hop", Method: "POST", URL: "/api/v1/auth/login", Body: login, Headers: from("203.0.113.9, 198.51.100.1"),
				ExpectedStatus: stdhttp.StatusTooManyRequests},
		})
	})
}
