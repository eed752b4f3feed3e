package commerce

import "slices"

// Transitions is a status machine: each status with the statuses it may move to. Domains
// with a lifecycle (orders, vendors) declare theirs as one table and ask it.
type Transitions map[string][]string

// Allows reports whether from may move to to.
func (t Transitions) Allows(from, to string) bool { return slices.Contains(t[from], to) }

// Next returns the statuses from may move to; never nil, so it encodes as [] in JSON.
func (t Transitions) Next(from string) []string { return append([]string{}, t[from]...) }
