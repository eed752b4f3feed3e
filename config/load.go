package config

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// EnvPrefix starts every environment override: ULTRAMARKET_<SECTION>_<KEY>, e.g.
// ULTRAMARKET_SERVER_LISTEN or ULTRAMARKET_SNAPSHOTS_KEEP.
const EnvPrefix = "ULTRAMARKET_"

// Load returns Default() overlaid with the TOML file at path (skipped when path is empty) and
// then with ULTRAMARKET_* environment variables, and validates the result. A validation
// failure is a *ValidationError listing every problem.
func Load(path string) (Config, error) { return LoadWith(path, os.LookupEnv) }

// LoadWith is Load with the environment lookup supplied by the caller (os.LookupEnv in
// production, a map in tests). A nil getenv ignores the environment.
func LoadWith(path string, getenv func(string) (string, bool)) (Config, error) {
	var data []byte
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
	}
	return load(path, data, getenv)
}

// load is LoadWith on a file's contents; an empty name means no file.
func load(path string, data []byte, getenv func(string) (string, bool)) (Config, error) {
	c := Default()
	if path != "" {
		if err := c.decode(path, data); err != nil {
			return Config{}, err
		}
	}
	if getenv != nil {
		if err := c.applyEnv(getenv); err != nil {
			return Config{}, err
		}
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// TOML renders c as a complete, commented configuration file. Loading it back yields c.
func (c Config) TOML() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(fileHeader)
	if err := toml.NewEncoder(&buf).Encode(c); err != nil {
		return nil, fmt.Errorf("config: encode: %w", err)
	}
	return buf.Bytes(), nil
}

const fileHeader = `# UltraMarket configuration.
#
# Every key is optional: a missing key keeps the default shown here, an unknown key is an error.
# Any key can also be set in the environment as ULTRAMARKET_<SECTION>_<KEY>, which wins over this
# file, e.g. ULTRAMARKET_SERVER_LISTEN=0.0.0.0:8080; lists are comma-separated there.
# Durations take units: "30s", "15m", "6h". Sizes are a number of bytes or take a unit:
# KB, MB, GB (powers of 1000) or KiB, MiB, GiB (powers of 1024), e.g. "64MiB".

`

// decode overlays the TOML document data (read from name) on c, strictly.
func (c *Config) decode(name string, data []byte) error {
	// A variants table in the file replaces the default list rather than merging into it,
	// so a merchant can drop a variant.
	variants := c.Media.Variants
	c.Media.Variants = nil
	err := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().Decode(c)
	if c.Media.Variants == nil {
		c.Media.Variants = variants
	}
	if err == nil {
		return nil
	}
	return decodeError(name, data, err)
}

// fileError carries a readable message naming the file, position and key, and keeps the
// decoder's error reachable through errors.As.
type fileError struct {
	msg string
	err error
}

func (e *fileError) Error() string { return e.msg }
func (e *fileError) Unwrap() error { return e.err }

func decodeError(name string, data []byte, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		errs := make([]error, len(strict.Errors))
		for i := range strict.Errors {
			de := &strict.Errors[i]
			line, col := de.Position()
			errs[i] = &fileError{
				msg: fmt.Sprintf("config: %s:%d:%d: unknown key %q", name, line, col, strings.Join(de.Key(), ".")),
				err: de,
			}
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		key := strings.Join(de.Key(), ".")
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if key == "" {
			return &fileError{msg: fmt.Sprintf("config: %s:%d:%d: %s", name, line, col, msg), err: err}
		}
		if f, ok := leafByKey(key); ok {
			if got, found := strings.CutPrefix(msg, "cannot decode TOML "); found && f.value.Kind() != reflect.Slice && f.value.Kind() != reflect.Map {
				got, _, _ = strings.Cut(got, " ")
				msg = fmt.Sprintf("expected %s, got a TOML %s", describe(f.value.Type()), got)
			}
		}
		return &fileError{msg: fmt.Sprintf("config: %s:%d:%d: %s: %s", name, line, col, key, msg), err: err}
	}
	// go-toml reports a TextUnmarshaler's failure on a non-string value (`interval = 15`)
	// without position or key; find the key ourselves.
	if key, ok := textValueKey(data); ok {
		return &fileError{msg: fmt.Sprintf("config: %s: %s: %v", name, key, err), err: err}
	}
	return fmt.Errorf("config: %s: %w", name, err)
}

// textValueKey finds the first Duration or ByteSize key in data whose value is not a string
// and does not parse, and returns its dotted key.
func textValueKey(data []byte) (string, bool) {
	var doc map[string]any
	if toml.Unmarshal(data, &doc) != nil {
		return "", false
	}
	var zero Config
	for _, f := range leaves(reflect.ValueOf(&zero).Elem()) {
		if !isText(f.value.Type()) {
			continue
		}
		raw, ok := lookup(doc, f.path)
		if !ok {
			continue
		}
		if _, isString := raw.(string); isString {
			continue
		}
		u := reflect.New(f.value.Type()).Interface().(encoding.TextUnmarshaler)
		if u.UnmarshalText([]byte(fmt.Sprint(raw))) != nil {
			return f.key(), true
		}
	}
	return "", false
}

func lookup(doc map[string]any, path []string) (any, bool) {
	var cur any = doc
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// applyEnv overlays ULTRAMARKET_<SECTION>_<KEY> variables on c. It walks the struct by its
// toml tags, so a new field gets its variable without code here. Maps (media.variants) are
// left to the file.
func (c *Config) applyEnv(getenv func(string) (string, bool)) error {
	var errs []error
	for _, f := range leaves(reflect.ValueOf(c).Elem()) {
		if f.value.Kind() == reflect.Map {
			continue
		}
		name := f.env()
		s, ok := getenv(name)
		if !ok {
			continue
		}
		if err := setString(f.value, s); err != nil {
			errs = append(errs, fmt.Errorf("config: environment variable %s (%s): %w", name, f.key(), err))
		}
	}
	return errors.Join(errs...)
}

// setString parses s into v the way the TOML file would: TextUnmarshalers parse themselves,
// lists are comma-separated. v is set only when s parses.
func setString(v reflect.Value, s string) error {
	if isText(v.Type()) {
		p := reflect.New(v.Type())
		if err := p.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return err
		}
		v.Set(p.Elem())
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, v.Type().Bits())
		if errors.Is(err, strconv.ErrRange) {
			return fmt.Errorf("%q is out of range", s)
		}
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		v.SetInt(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		v.SetFloat(f)
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("cannot set %s from the environment", v.Type())
		}
		items := []string{}
		for item := range strings.SplitSeq(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				items = append(items, item)
			}
		}
		v.Set(reflect.ValueOf(items))
	default:
		return fmt.Errorf("cannot set %s from the environment", v.Type())
	}
	return nil
}

// leaf is one setting of Config: its TOML key path and its value.
type leaf struct {
	path  []string
	value reflect.Value
	field reflect.StructField
}

// key is the dotted TOML key, e.g. "server.listen".
func (l leaf) key() string { return strings.Join(l.path, ".") }

// env is the environment variable overriding the key, e.g. ULTRAMARKET_SERVER_LISTEN.
func (l leaf) env() string { return EnvPrefix + strings.ToUpper(strings.Join(l.path, "_")) }

var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()

// isText reports whether t parses itself from text (Duration, ByteSize).
func isText(t reflect.Type) bool { return reflect.PointerTo(t).Implements(textUnmarshalerType) }

// leaves lists the settings under the struct v in field order, descending into sections.
func leaves(v reflect.Value) []leaf {
	var out []leaf
	var walk func(v reflect.Value, path []string)
	walk = func(v reflect.Value, path []string) {
		t := v.Type()
		for i := range t.NumField() {
			sf := t.Field(i)
			name, _, _ := strings.Cut(sf.Tag.Get("toml"), ",")
			if !sf.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = sf.Name
			}
			p := append(slices.Clip(path), name)
			if sf.Type.Kind() == reflect.Struct && !isText(sf.Type) {
				walk(v.Field(i), p)
				continue
			}
			out = append(out, leaf{path: p, value: v.Field(i), field: sf})
		}
	}
	walk(v, nil)
	return out
}

func leafByKey(key string) (leaf, bool) {
	var zero Config
	for _, l := range leaves(reflect.ValueOf(&zero).Elem()) {
		if l.key() == key {
			return l, true
		}
	}
	return leaf{}, false
}

// describe names what a TOML value for t must look like, for error messages.
func describe(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Duration]():
		return `a duration string such as "30s"`
	case reflect.TypeFor[ByteSize]():
		return `a size such as "64MiB" or a number of bytes`
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return t.String()
}
