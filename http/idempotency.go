package http

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	stdhttp "net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ultramarket/ultramarket/commerce"
)

// IdempotencyStore keeps the responses of requests sent with an Idempotency-Key. Values are
// opaque to it; a value whose ttl has passed is not returned. store.Idempotency implements it.
type IdempotencyStore interface {
	Load(ctx context.Context, key string) ([]byte, bool, error)
	Save(ctx context.Context, key string, value []byte, ttl time.Duration) error
}

const (
	headerIdempotencyKey = "Idempotency-Key"
	headerReplayed       = "Idempotent-Replayed"
	idempotencyTTL       = 24 * time.Hour
	maxIdempotencyKey    = 255
)

var (
	errIdemInProgress = &commerce.Error{Kind: commerce.EConflict, Code: "idempotency_in_progress",
		Message: "a request with this Idempotency-Key is still being processed; retry later"}
	errIdemReused = &commerce.Error{Kind: commerce.EInvalid, Code: "idempotency_key_reused",
		Message: "this Idempotency-Key was used with a different request",
		Fields:  []commerce.FieldError{{Field: headerIdempotencyKey, Message: "was used with a different request body"}}}
	errIdemKey = &commerce.Error{Kind: commerce.EInvalid, Code: "invalid_idempotency_key",
		Message: "Idempotency-Key must be 1-255 visible ASCII characters"}
)

// storedResponse is a response kept for replay.
type storedResponse struct {
	RequestHash string            `json:"request_hash"`
	Status      int               `json:"status"`
	Header      map[string]string `json:"header,omitempty"`
	Body        []byte            `json:"body"`
}

// replayedHeaders are the response headers a replay repeats.
var replayedHeaders = []string{echo.HeaderContentType, "ETag", echo.HeaderLocation, "Cache-Control"}

// idemScope names who sent a request and where: the principal (or "anon"), the method and
// the path. Keys are only compared within one scope.
func idemScope(c echo.Context) string {
	who := "anon"
	if p, ok := principalOf(c); ok && p.UserID != "" {
		who = "user:" + p.UserID
	}
	return who + " " + c.Request().Method + " " + c.Request().URL.Path
}

// idempotency is the Idempotency-Key middleware of every mutating request (POST, PUT,
// PATCH, DELETE): the first final response
// (2xx or 4xx other than 429) is kept 24 h and replayed, with Idempotent-Replayed: true, for
// the same key and body; the same key with another body is 422 idempotency_key_reused, and a
// request while one with the same key is still running is 409 idempotency_in_progress.
// The request is the method, path, query, If-Match and body. Requests without the header,
// GET/HEAD/OPTIONS and the /auth/ routes (see isAuthRoute) pass straight through.
func (s *Server) idempotency() echo.MiddlewareFunc {
	var mu sync.Mutex
	inflight := map[string]bool{}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			key := req.Header.Get(headerIdempotencyKey)
			if !mutating(req.Method) || key == "" || s.deps.Idem == nil || isAuthRoute(c) {
				return next(c)
			}
			if !validIdempotencyKey(key) {
				return errIdemKey
			}
			var body []byte
			if req.Body != nil {
				var err error
				if body, err = io.ReadAll(req.Body); err != nil {
					return err
				}
				req.Body = io.NopCloser(bytes.NewReader(body))
			}
			h := sha256.New()
			h.Write([]byte(req.URL.RawQuery))
			h.Write([]byte{0})
			h.Write([]byte(req.Header.Get("If-Match")))
			h.Write([]byte{0})
			h.Write(body)
			hash := hex.EncodeToString(h.Sum(nil))
			full := idemScope(c) + "\x00" + key

			mu.Lock()
			if inflight[full] {
				mu.Unlock()
				return errIdemInProgress
			}
			inflight[full] = true
			mu.Unlock()
			defer func() {
				mu.Lock()
				delete(inflight, full)
				mu.Unlock()
			}()

			ctx := req.Context()
			if raw, ok, err := s.deps.Idem.Load(ctx, full); err != nil {
				return err
			} else if ok {
				var prev storedResponse
				if err := json.Unmarshal(raw, &prev); err != nil {
					return err
				}
				if prev.RequestHash != hash {
					return errIdemReused
				}
				hdr := c.Response().Header()
				for k, v := range prev.Header {
					hdr.Set(k, v)
				}
				hdr.Set(headerReplayed, "true")
				c.Response().WriteHeader(prev.Status)
				_, err := c.Response().Write(prev.Body)
				return err
			}

			rec := &recordingWriter{ResponseWriter: c.Response().Writer}
			c.Response().Writer = rec
			err := next(c)
			if err != nil {
				c.Error(err) // written now, through rec, so the error response is kept too
			}
			c.Response().Writer = rec.ResponseWriter
			status := c.Response().Status
			if !keepResponse(status) {
				return nil
			}
			out := storedResponse{RequestHash: hash, Status: status, Body: rec.buf.Bytes(), Header: map[string]string{}}
			for _, k := range replayedHeaders {
				if v := c.Response().Header().Get(k); v != "" {
					out.Header[k] = v
				}
			}
			raw, err := json.Marshal(out)
			if err == nil {
				// The response is sent already; a request cancelled since must still keep it.
				err = s.deps.Idem.Save(context.WithoutCancel(ctx), full, raw, idempotencyTTL)
			}
			if err != nil {
				s.cfg.Logger.Warn("idempotency: response not kept", "request_id", requestID(c), "err", err)
			}
			return nil
		}
	}
}

// keepResponse reports whether a response is final: 2xx and 4xx, except 429 (retry later).
func keepResponse(status int) bool {
	return status >= 200 && status < 300 || status >= 400 && status < 500 && status != stdhttp.StatusTooManyRequests
}

// mutating reports whether a request of this method changes something.
func mutating(method string) bool {
	switch method {
	case stdhttp.MethodPost, stdhttp.MethodPut, stdhttp.MethodPatch, stdhttp.MethodDelete:
		return true
	}
	return false
}

func validIdempotencyKey(k string) bool {
	if len(k) > maxIdempotencyKey {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// recordingWriter copies what is written to the client.
type recordingWriter struct {
	stdhttp.ResponseWriter
	buf bytes.Buffer
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}

func (w *recordingWriter) Unwrap() stdhttp.ResponseWriter { return w.ResponseWriter }
