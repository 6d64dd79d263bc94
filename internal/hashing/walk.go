package hashing

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// Errors of Walk, wrapped with the offending name; test with errors.Is.
var (
	// ErrSymlink: a symbolic link was found and links are not allowed.
	ErrSymlink = errors.New("symbolic link not allowed")
	// ErrSymlinkEscapes: an allowed link points outside the root.
	ErrSymlinkEscapes = errors.New("symbolic link points outside the root")
	// ErrSymlinkLoop: an allowed link cannot be resolved (a cycle).
	ErrSymlinkLoop = errors.New("symbolic link loop")
	// ErrNotRegular: a socket, device, named pipe or other special file.
	ErrNotRegular = errors.New("not a regular file or directory")
)

// File is a regular file found by Walk.
type File struct {
	// Name is the slash-separated path relative to the walked root. When
	// the root is itself a file, Name is its base name.
	Name string
	// Path is the operating-system path to open.
	Path string
	// Size is the size in bytes when the file was found.
	Size int64
	// Symlink is set when Name is a symbolic link (allowed by
	// WalkOptions.AllowSymlinks) to the regular file at Path's target.
	Symlink bool
}

// WalkOptions control Walk.
type WalkOptions struct {
	// Ignore lists slash-separated paths relative to the root. A listed
	// path excludes itself and, if it is a directory, everything under it;
	// matching is by whole components, anchored at the root (".git" does
	// not exclude "sub/.git").
	Ignore []string
	// AllowSymlinks makes a link to a regular file inside the root count
	// as that file, under the link's name. A link to a directory is not
	// descended into. Even when allowed, a link that resolves outside the
	// root or loops is an error. When false every link is an error.
	AllowSymlinks bool
}

// Walk lists the regular files under root (or root itself when it is a
// file), sorted by Name byte-wise. Names are checked with CheckName, so a
// file whose name cannot be recorded safely is an error rather than being
// skipped silently.
func Walk(ctx context.Context, root string, opts WalkOptions) ([]File, error) {
	ignore := make([]string, 0, len(opts.Ignore))
	for _, ig := range opts.Ignore {
		c := path.Clean(ig)
		if c == "." {
			return nil, fmt.Errorf("hashing: ignore path %q would exclude the whole root", ig)
		}
		if err := CheckName(c); err != nil {
			return nil, fmt.Errorf("hashing: ignore path: %w", err)
		}
		ignore = append(ignore, c)
	}
	rootInfo, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("hashing: %w", err)
	}
	if rootInfo.Mode().IsRegular() {
		name := filepath.Base(root)
		if err := CheckName(name); err != nil {
			return nil, err
		}
		// Open the file itself, not a link to it (files are opened
		// without following links).
		p, err := filepath.EvalSymlinks(root)
		if err != nil {
			return nil, fmt.Errorf("hashing: %w", err)
		}
		return []File{{Name: name, Path: p, Size: rootInfo.Size()}}, nil
	}
	if !rootInfo.IsDir() {
		return nil, fmt.Errorf("hashing: %s: %w", root, ErrNotRegular)
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, fmt.Errorf("hashing: %w", err)
	}
	if realRoot, err = filepath.Abs(realRoot); err != nil {
		return nil, fmt.Errorf("hashing: %w", err)
	}

	// Walk the resolved root: WalkDir does not follow a root that is
	// itself a symbolic link (a model path given through a link).
	root = realRoot
	var files []File
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("hashing: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return fmt.Errorf("hashing: %w", err)
		}
		name := filepath.ToSlash(rel)
		if ignored(name, ignore) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if err := CheckName(name); err != nil {
			return err
		}
		switch t := d.Type(); {
		case t.IsDir():
			return nil
		case t.IsRegular():
			info, err := d.Info()
			if err != nil {
				return fmt.Errorf("hashing: %w", err)
			}
			files = append(files, File{Name: name, Path: p, Size: info.Size()})
			return nil
		case t&fs.ModeSymlink != 0:
			if !opts.AllowSymlinks {
				return fmt.Errorf("hashing: %s: %w", name, ErrSymlink)
			}
			f, ok, err := resolveLink(realRoot, p, name)
			if err != nil || !ok {
				return err
			}
			files = append(files, f)
			return nil
		default:
			return fmt.Errorf("hashing: %s: %w", name, ErrNotRegular)
		}
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	return files, nil
}

// resolveLink checks an allowed symlink and returns the file it stands
// for; ok is false for a link to a directory, which is not descended into
// (as the reference OMS tool does).
func resolveLink(realRoot, p, name string) (File, bool, error) {
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) || strings.Contains(err.Error(), "too many links") {
			return File{}, false, fmt.Errorf("hashing: %s: %w", name, ErrSymlinkLoop)
		}
		return File{}, false, fmt.Errorf("hashing: %s: %w", name, err)
	}
	if target, err = filepath.Abs(target); err != nil {
		return File{}, false, fmt.Errorf("hashing: %w", err)
	}
	if r, err := filepath.Rel(realRoot, target); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return File{}, false, fmt.Errorf("hashing: %s: %w", name, ErrSymlinkEscapes)
	}
	info, err := os.Stat(target)
	if err != nil {
		return File{}, false, fmt.Errorf("hashing: %s: %w", name, err)
	}
	switch {
	case info.IsDir():
		return File{}, false, nil
	case info.Mode().IsRegular():
		return File{Name: name, Path: target, Size: info.Size(), Symlink: true}, true, nil
	}
	return File{}, false, fmt.Errorf("hashing: %s: %w", name, ErrNotRegular)
}

// ignored reports whether name is, or lies under, one of the ignore paths.
func ignored(name string, ignore []string) bool {
	for _, ig := range ignore {
		if name == ig || (strings.HasPrefix(name, ig) && name[len(ig)] == '/') {
			return true
		}
	}
	return false
}
