package config

import (
	"bufio"
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

const exampleFile = "../config.example.toml"

// TestExampleFile keeps config.example.toml a complete, documented copy of the defaults: it
// loads strictly, equals Default(), names every key of Config and comments every key it sets.
// Regenerate it with `ultramarket config defaults` after adding a field.
func TestExampleFile(t *testing.T) {
	got, err := LoadWith(exampleFile, nil)
	if err != nil {
		t.Fatalf("%s does not load: %v", exampleFile, err)
	}
	if !reflect.DeepEqual(got, Default()) {
		t.Fatalf("%s differs from Default():\ngot  %+v\nwant %+v", exampleFile, got, Default())
	}

	data, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var zero Config
	mapTables := map[string]bool{} // entries of a map table are documented by the table's comment
	for _, l := range leaves(reflect.ValueOf(&zero).Elem()) {
		if _, ok := lookup(doc, l.path); !ok {
			t.Errorf("%s does not set %s", exampleFile, l.key())
		}
		if l.value.Kind() == reflect.Map {
			mapTables[l.key()] = true
		}
	}

	// Every table header and key line follows a comment line.
	sc := bufio.NewScanner(bytes.NewReader(data))
	prev, table, n := "", "", 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			table = strings.Trim(line, "[] ")
		}
		inMap := mapTables[table] && !strings.HasPrefix(line, "[")
		if line != "" && !inMap && !strings.HasPrefix(line, "#") && !strings.HasPrefix(prev, "#") {
			t.Errorf("%s:%d: %q has no comment above it", exampleFile, n, line)
		}
		prev = line
	}
}
