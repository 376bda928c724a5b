package refresh

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// MemoryStore keeps tokens in memory. Its zero value is ready to use.
type MemoryStore struct {
	mu sync.Mutex
	t  *Tokens
}

// Load returns a copy of the stored tokens, or nil.
func (m *MemoryStore) Load(context.Context) (*Tokens, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.t.clone(), nil
}

// Save stores a copy of t; nil forgets the tokens.
func (m *MemoryStore) Save(_ context.Context, t *Tokens) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.t = t.clone()
	return nil
}

// FileStore keeps tokens in a JSON file readable by its owner only (0600).
// Save writes a temporary file in the same directory and renames it over
// the old one, so a reader (or a crash) never sees a half-written file.
//
// The file holds the refresh token in clear: keep it in a directory only
// the user can read. Do not share one file between processes that refresh
// at the same time (see the package documentation on rotation).
type FileStore struct {
	path string
}

// NewFileStore returns a FileStore for path. The directory must exist.
func NewFileStore(path string) *FileStore { return &FileStore{path: path} }

// Load reads the file; a missing file is (nil, nil).
func (f *FileStore) Load(context.Context) (*Tokens, error) {
	b, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("refresh: file store: %w", err)
	}
	var t Tokens
	if err := json.Unmarshal(b, &t); err != nil {
		// The decoder's message may quote file content: leave it out.
		return nil, fmt.Errorf("refresh: file store: %s is not a token file", f.path)
	}
	if t.AccessToken == "" && t.RefreshToken == "" {
		return nil, nil
	}
	return &t, nil
}

// Save replaces the file atomically with t; nil removes the file.
func (f *FileStore) Save(_ context.Context, t *Tokens) error {
	if t == nil {
		if err := os.Remove(f.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("refresh: file store: %w", err)
		}
		return nil
	}
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return fmt.Errorf("refresh: file store: %w", err)
	}
	dir, base := filepath.Split(f.path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*") // created 0600
	if err != nil {
		return fmt.Errorf("refresh: file store: %w", err)
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	if err := tmp.Chmod(0o600); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("refresh: file store: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("refresh: file store: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("refresh: file store: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("refresh: file store: %w", err)
	}
	if err := os.Rename(name, f.path); err != nil {
		return fmt.Errorf("refresh: file store: %w", err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil { // persist the rename; best effort
		_ = d.Sync()
		d.Close()
	}
	return nil
}
