package http

import (
	"encoding/json"
	"fmt"
	stdhttp "net/http"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/invopop/jsonschema"
	"github.com/labstack/echo/v4"
)

var pathParam = regexp.MustCompile(`:([a-zA-Z_][a-zA-Z0-9_]*)`)

// openAPIPath turns Echo's /products/:id into OpenAPI's /products/{id}.
func openAPIPath(p string) string { return pathParam.ReplaceAllString(p, "{$1}") }

// buildOpenAPI renders the OpenAPI 3.1 document of the registered routes. Schemas are
// reflected from the request and response types, so the document follows the code.
func buildOpenAPI(routes []Route, version string) ([]byte, error) {
	ref := &jsonschema.Reflector{Anonymous: true, AllowAdditionalProperties: false}
	schemas := map[string]any{}
	schemaOf := func(v any) *jsonschema.Schema {
		s := ref.ReflectFromType(reflect.TypeOf(v))
		for name, def := range s.Definitions {
			schemas[name] = def
		}
		s.Definitions = nil
		s.Version = ""
		return s
	}
	errSchema := schemaOf(errorBody{})
	paths := map[string]map[string]any{}
	idempotencyParam := map[string]any{"name": headerIdempotencyKey, "in": "header", "required": false,
		"description": "Retries with the same key, body and If-Match replay the first answer (24 h) with Idempotent-Replayed: true; another body is 422 idempotency_key_reused.",
		"schema":      map[string]any{"type": "string", "minLength": 1, "maxLength": maxIdempotencyKey}}
	for _, r := range routes {
		op := map[string]any{
			"summary":     r.Summary,
			"operationId": operationID(r),
			"tags":        []string{r.Tag},
		}
		if r.Description != "" {
			op["description"] = r.Description
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(r.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range r.Query {
			params = append(params, map[string]any{"name": q.Name, "in": "query", "required": q.Required,
				"description": q.Description, "schema": map[string]any{"type": q.Type}})
		}
		if mutating(r.Method) && !strings.HasPrefix(r.Path, authPrefix) {
			params = append(params, idempotencyParam)
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if r.Perm != "" {
			op["x-permission"] = string(r.Perm)
		}
		if r.Role != "" {
			op["x-role"] = string(r.Role)
		}
		switch {
		case r.Auth:
			op["security"] = []any{map[string]any{"bearer": []string{}}}
		case r.OptionalAuth:
			op["security"] = []any{map[string]any{"bearer": []string{}}, map[string]any{}}
		}
		if r.Request != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": schemaOf(r.Request)}}}
		}
		status := r.Status
		if status == 0 {
			status = stdhttp.StatusOK
		}
		ok := map[string]any{"description": stdhttp.StatusText(status)}
		switch {
		case r.RawResponse != "":
			ok["content"] = map[string]any{r.RawResponse: map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}
		case r.Response != nil:
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(r.Response)}}
		}
		responses := map[string]any{fmt.Sprint(status): ok}
		errStatuses := append([]int{stdhttp.StatusBadRequest, stdhttp.StatusInternalServerError}, r.Errors...)
		if r.Auth {
			errStatuses = append(errStatuses, stdhttp.StatusUnauthorized, stdhttp.StatusForbidden)
		}
		for _, st := range errStatuses {
			responses[fmt.Sprint(st)] = map[string]any{"description": stdhttp.StatusText(st),
				"content": map[string]any{"application/json": map[string]any{"schema": errSchema}}}
		}
		op["responses"] = responses
		p := openAPIPath(r.Path)
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		paths[p][strings.ToLower(r.Method)] = op
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "UltraMarket API",
			"version":     version,
			"description": "Storefront and admin REST API of UltraMarket. Errors share one shape; money is integer minor units.",
		},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas":         schemas,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
		},
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("http: render OpenAPI: %w", err)
	}
	// Reflected schemas point into $defs; in OpenAPI they live under components.
	return []byte(strings.ReplaceAll(string(raw), `"#/$defs/`, `"#/components/schemas/`)), nil
}

func operationID(r Route) string {
	parts := []string{strings.ToLower(r.Method)}
	for _, seg := range strings.Split(strings.Trim(r.Path, "/"), "/") {
		if seg == "api" || seg == "v1" || seg == "" {
			continue
		}
		if strings.HasPrefix(seg, ":") {
			seg = "by_" + seg[1:]
		}
		parts = append(parts, strings.NewReplacer("-", "_", ".", "_").Replace(seg))
	}
	return strings.Join(parts, "_")
}

func (s *Server) openAPIRoute() {
	s.handle(Route{Method: "GET", Path: "/api/v1/openapi.json", Tag: "system", Summary: "This OpenAPI 3.1 document",
		Response: map[string]any{},
		Handler: func(c echo.Context) error {
			return c.Blob(stdhttp.StatusOK, echo.MIMEApplicationJSON, s.openapi)
		}})
}

// renderOpenAPI builds the document once, after every route is registered.
func (s *Server) renderOpenAPI() (err error) {
	routes := append([]Route(nil), s.routes...)
	sort.SliceStable(routes, func(i, j int) bool { return routes[i].Path < routes[j].Path })
	s.openapi, err = buildOpenAPI(routes, s.cfg.Version)
	return err
}
