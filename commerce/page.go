package commerce

// Page asks for one page of a list: at most Limit items after the opaque Cursor.
type Page struct {
	Limit  int
	Cursor string
}

// Default and maximum page sizes for every list.
const (
	DefaultPageLimit = 20
	MaxPageLimit     = 100
)

// Normalize clamps Limit to [1, MaxPageLimit], using DefaultPageLimit when unset.
func (p Page) Normalize() Page {
	switch {
	case p.Limit <= 0:
		p.Limit = DefaultPageLimit
	case p.Limit > MaxPageLimit:
		p.Limit = MaxPageLimit
	}
	return p
}

// List is one page of results; NextCursor is empty on the last page.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}
