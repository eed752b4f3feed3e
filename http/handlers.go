package http

import "github.com/labstack/echo/v4"

// withService returns a handler that calls h with the service svc gives. While there is
// none, svc's error (503 <what>_unavailable) is the answer.
func withService[S any](svc func() (S, error), h func(c echo.Context, svc S) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		x, err := svc()
		if err != nil {
			return err
		}
		return h(c, x)
	}
}

// withBody is withService that first binds the strict JSON body (see bind) into a new T.
func withBody[S, T any](svc func() (S, error), h func(c echo.Context, svc S, req T) error) echo.HandlerFunc {
	return withService(svc, func(c echo.Context, x S) error {
		var req T
		if err := bind(c, &req); err != nil {
			return err
		}
		return h(c, x, req)
	})
}

// ifMatchBody reads the If-Match version (0 without one, see ifMatch), then binds the
// strict JSON body into req: the order in which a conditional replace checks its request.
func ifMatchBody(c echo.Context, req any) (int64, error) {
	version, err := ifMatch(c)
	if err != nil {
		return 0, err
	}
	return version, bind(c, req)
}
