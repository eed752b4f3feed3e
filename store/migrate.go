package store

import (
	"context"
	"errors"
	"fmt"
)

// Migration is one ordered schema change. Up runs inside one atomic update together with the
// bump of the stored schema version, so a crash leaves either the old or the new schema.
type Migration struct {
	Version uint64
	Name    string
	Up      func(tx *Tx) error
}

// migrations is the ordered list of every schema change. Append only; never edit a shipped one.
var migrations = []Migration{
	{Version: 1, Name: "initial key schema", Up: func(tx *Tx) error { return nil }},
}

// SchemaVersion returns the newest schema version this build knows.
func SchemaVersion() uint64 { return migrations[len(migrations)-1].Version }

func (db *DB) migrate(ctx context.Context, list []Migration) error {
	cur, err := db.readUint64(keySchemaVersion)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	latest := list[len(list)-1].Version
	if cur > latest {
		return fmt.Errorf("store: %s holds schema version %d, newer than this build's %d; use a newer ultramarket", db.cfg.Dir, cur, latest)
	}
	for _, m := range list {
		if m.Version <= cur {
			continue
		}
		err := db.Update(ctx, func(tx *Tx) error {
			if err := m.Up(tx); err != nil {
				return err
			}
			tx.Set([]byte(keySchemaVersion), encodeUint64(m.Version))
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: migration %d (%s): %w", m.Version, m.Name, err)
		}
		db.cfg.Logger.Info("store migrated", "version", m.Version, "name", m.Name)
	}
	return nil
}

func (db *DB) checkSchema() error {
	cur, err := db.readUint64(keySchemaVersion)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if cur > SchemaVersion() {
		return fmt.Errorf("store: %s holds schema version %d, newer than this build's %d", db.cfg.Dir, cur, SchemaVersion())
	}
	return nil
}
