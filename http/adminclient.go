package http

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	stdhttp "net/http"
	"net/url"
	"strconv"

	"github.com/ultramarket/ultramarket/auth"
	"github.com/ultramarket/ultramarket/commerce"
	"github.com/ultramarket/ultramarket/media"
	"github.com/ultramarket/ultramarket/snapshot"
)

// AdminClient calls a running server's admin socket. It implements AdminOps, so CLI commands
// do not care whether they reach a server or open the data dir themselves.
type AdminClient struct {
	hc *stdhttp.Client
}

var _ AdminOps = (*AdminClient)(nil)

// ErrNoServer means no server answers on the admin socket.
var ErrNoServer = errors.New("no server is listening on the admin socket")

// DialAdmin connects to the admin socket at path. It returns ErrNoServer when nothing listens.
func DialAdmin(ctx context.Context, path string) (*AdminClient, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, fmt.Errorf("%w (%s): %v", ErrNoServer, path, err)
	}
	conn.Close()
	tr := &stdhttp.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", path)
		},
	}
	return &AdminClient{hc: &stdhttp.Client{Transport: tr}}, nil
}

func (c *AdminClient) do(ctx context.Context, method, path string, body io.Reader, contentType string) (*stdhttp.Response, error) {
	req, err := stdhttp.NewRequestWithContext(ctx, method, "http://admin"+path, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		return nil, decodeErrorResponse(resp)
	}
	return resp, nil
}

// decodeErrorResponse rebuilds the *commerce.Error a server reported.
func decodeErrorResponse(resp *stdhttp.Response) error {
	var body errorBody
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err := json.Unmarshal(raw, &body); err != nil || body.Error.Code == "" {
		return &commerce.Error{Kind: kindOfStatus(resp.StatusCode), Code: codeOfStatus(resp.StatusCode), Message: fmt.Sprintf("server answered %s", resp.Status)}
	}
	return &commerce.Error{Kind: kindOfStatus(resp.StatusCode), Code: body.Error.Code, Message: body.Error.Message, Fields: body.Error.Fields, Details: body.Error.Details}
}

func (c *AdminClient) doJSON(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	ct := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body, ct = bytes.NewReader(b), "application/json"
	}
	resp, err := c.do(ctx, method, path, body, ct)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("admin socket: decode answer: %w", err)
	}
	return nil
}

// CreateUser implements AdminOps.
func (c *AdminClient) CreateUser(ctx context.Context, in auth.CreateUserInput) (auth.User, error) {
	var out UserDTO
	err := c.doJSON(ctx, "POST", "/admin/users", CreateUserRequest{Email: in.Email, Password: in.Password, Name: in.Name, Role: string(in.Role)}, &out)
	return userFromDTO(out), err
}

func userFromDTO(d UserDTO) auth.User {
	return auth.User{ID: d.ID, Email: d.Email, Name: d.Name, Role: auth.Role(d.Role), Disabled: d.Disabled, TOTPEnabled: d.TOTP, CreatedAt: d.CreatedAt}
}

// FindUsers implements AdminOps.
func (c *AdminClient) FindUsers(ctx context.Context, f auth.UserFilter, page commerce.Page) (commerce.List[auth.User], error) {
	q := url.Values{}
	if f.Role != "" {
		q.Set("role", string(f.Role))
	}
	if f.EmailPrefix != "" {
		q.Set("q", f.EmailPrefix)
	}
	if f.Disabled != nil {
		q.Set("disabled", strconv.FormatBool(*f.Disabled))
	}
	return c.listUsers(ctx, q, page)
}

// userOp calls one of the socket's operations on the user named by ref (ID or e-mail).
func (c *AdminClient) userOp(ctx context.Context, method, ref, op string, in any) (auth.User, error) {
	var out UserDTO
	err := c.doJSON(ctx, method, "/admin/users/"+url.PathEscape(ref)+"/"+op, in, &out)
	return userFromDTO(out), err
}

// SetUserRole implements AdminOps.
func (c *AdminClient) SetUserRole(ctx context.Context, ref string, role auth.Role) (auth.User, error) {
	return c.userOp(ctx, "PUT", ref, "role", setRoleRequest{Role: string(role)})
}

// DisableUser implements AdminOps.
func (c *AdminClient) DisableUser(ctx context.Context, ref string) (auth.User, error) {
	return c.userOp(ctx, "POST", ref, "disable", nil)
}

// EnableUser implements AdminOps.
func (c *AdminClient) EnableUser(ctx context.Context, ref string) (auth.User, error) {
	return c.userOp(ctx, "POST", ref, "enable", nil)
}

// ResetUserTwoFactor implements AdminOps.
func (c *AdminClient) ResetUserTwoFactor(ctx context.Context, ref string) (auth.User, error) {
	return c.userOp(ctx, "DELETE", ref, "2fa", nil)
}

// ListUsers implements AdminOps.
func (c *AdminClient) ListUsers(ctx context.Context, page commerce.Page) (commerce.List[auth.User], error) {
	return c.listUsers(ctx, url.Values{}, page)
}

func (c *AdminClient) listUsers(ctx context.Context, q url.Values, page commerce.Page) (commerce.List[auth.User], error) {
	var out commerce.List[UserDTO]
	if page.Limit > 0 {
		q.Set("limit", strconv.Itoa(page.Limit))
	}
	if page.Cursor != "" {
		q.Set("cursor", page.Cursor)
	}
	if err := c.doJSON(ctx, "GET", "/admin/users?"+q.Encode(), nil, &out); err != nil {
		return commerce.List[auth.User]{}, err
	}
	l := commerce.List[auth.User]{NextCursor: out.NextCursor}
	for _, d := range out.Items {
		l.Items = append(l.Items, userFromDTO(d))
	}
	return l, nil
}

// CreateSnapshot implements AdminOps.
func (c *AdminClient) CreateSnapshot(ctx context.Context) (snapshot.Info, error) {
	var out snapshot.Info
	err := c.doJSON(ctx, "POST", "/admin/snapshots", nil, &out)
	return out, err
}

// ListSnapshots implements AdminOps.
func (c *AdminClient) ListSnapshots(ctx context.Context) ([]snapshot.Info, error) {
	var out []snapshot.Info
	err := c.doJSON(ctx, "GET", "/admin/snapshots", nil, &out)
	return out, err
}

// PruneSnapshots implements AdminOps.
func (c *AdminClient) PruneSnapshots(ctx context.Context, keep int) ([]snapshot.Info, error) {
	var out []snapshot.Info
	err := c.doJSON(ctx, "POST", "/admin/snapshots/prune", PruneRequest{Keep: keep}, &out)
	return out, err
}

// Backup implements AdminOps: the server streams the archive.
func (c *AdminClient) Backup(ctx context.Context, w io.Writer) error {
	resp, err := c.do(ctx, "GET", "/admin/backup", nil, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("backup stream cut short: %w", err)
	}
	return nil
}

// RebuildIndex implements AdminOps, relaying the server's progress.
func (c *AdminClient) RebuildIndex(ctx context.Context, progress func(done, total int)) error {
	resp, err := c.do(ctx, "POST", "/admin/index/rebuild", nil, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var p Progress
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return fmt.Errorf("admin socket: bad progress line: %w", err)
		}
		if p.Final {
			if p.Error != "" {
				return errors.New(p.Error)
			}
			return nil
		}
		if progress != nil {
			progress(p.Done, p.Total)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return errors.New("admin socket: rebuild ended without a result")
}

// PutMedia implements AdminOps.
func (c *AdminClient) PutMedia(ctx context.Context, r io.Reader, owner string) (media.Meta, error) {
	var m media.Meta
	resp, err := c.do(ctx, "POST", "/admin/media?owner="+url.QueryEscape(owner), r, "application/octet-stream")
	if err != nil {
		return m, err
	}
	defer resp.Body.Close()
	err = json.NewDecoder(resp.Body).Decode(&m)
	return m, err
}
