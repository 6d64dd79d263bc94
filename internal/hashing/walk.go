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

// EntryError reports an entry under the walked root that cannot be hashed
// safely: a link, a special file, a name that cannot be recorded. Err is
// (or wraps) ErrSymlink, ErrSymlinkEscapes, ErrSymlinkLoop, ErrNotRegular
// or ErrBadName. A root that is neither a file nor a directory gives no
// EntryError: it is bad input, not a tree with a bad entry. (A single-file
// root whose base name cannot be recorded does: it is the tree's entry.)
type EntryError struct {
	// Name is the slash-separated path relative to the root.
	Name string
	Err  error
}

func (e *EntryError) Error() string { return "hashing: " + QuoteName(e.Name) + ": " + e.Err.Error() }
func (e *EntryError) Unwrap() error { return e.Err }

// File is a regular file found by Walk.
type File struct {
	// Name is the slash-separated path relative to the walked root. When
	// the root is itself a file, Name is its base name.
	Name string
	// Path is the operating-system path of the file (of the link's target
	// for an allowed link). Hash opens Walk's files through the root
	// directory, not by Path.
	Path string
	// Size is the size in bytes when the file was found.
	Size int64
	// Symlink is set when Name is a symbolic link (allowed by
	// WalkOptions.AllowSymlinks) to the regular file at Path's target.
	Symlink bool

	// root and rel say where Hash opens the file: rel, a resolved,
	// link-free path, under the directory root (an os.Root, so no path
	// component can lead outside it). Files built by hand have no root
	// and are opened by Path.
	root *rootDir
	rel  string
}

// rootDir is the directory Walk listed, identified so that Hash can open
// it again and notice if it was swapped for another directory meanwhile.
type rootDir struct {
	path string
	id   fileID
}

// walkHook, when set by a test, runs after Walk has visited each entry
// (a directory before it is listed), so a test can change the tree at
// exactly that point.
var walkHook func(name string)

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
//
// The tree is read through an os.Root opened on the root directory, and
// Hash opens the files through it again: a directory swapped for a
// symbolic link while the model is read never leads outside the root.
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
		if err := badName(name); err != nil {
			return nil, &EntryError{Name: name, Err: err}
		}
		// Open the file itself, not a link to it (files are opened
		// without following links).
		p, err := filepath.EvalSymlinks(root)
		if err != nil {
			return nil, fmt.Errorf("hashing: %w", err)
		}
		if p, err = filepath.Abs(p); err != nil {
			return nil, fmt.Errorf("hashing: %w", err)
		}
		r, err := openRootDir(filepath.Dir(p))
		if err != nil {
			return nil, err
		}
		defer r.Close()
		info, err := r.Lstat(filepath.Base(p))
		if err != nil {
			return nil, fmt.Errorf("hashing: %w", err)
		}
		if !info.Mode().IsRegular() {
			return nil, fmt.Errorf("hashing: %s: %w", QuoteName(root), ErrNotRegular)
		}
		return []File{{Name: name, Path: p, Size: info.Size(), root: r.dir, rel: filepath.Base(p)}}, nil
	}
	if !rootInfo.IsDir() {
		return nil, fmt.Errorf("hashing: %s: %w", QuoteName(root), ErrNotRegular)
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, fmt.Errorf("hashing: %w", err)
	}
	if realRoot, err = filepath.Abs(realRoot); err != nil {
		return nil, fmt.Errorf("hashing: %w", err)
	}
	r, err := openRootDir(realRoot)
	if err != nil {
		return nil, err
	}
	defer r.Close()

	var files []File
	err = fs.WalkDir(r.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("hashing: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if name == "." {
			return nil
		}
		if ignored(name, ignore) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if err := badName(name); err != nil {
			return &EntryError{Name: name, Err: err}
		}
		if walkHook != nil {
			walkHook(name)
		}
		switch t := d.Type(); {
		case t.IsDir():
			return nil
		case t.IsRegular():
			// Lstat through the root: DirEntry.Info would stat by a
			// path that could lead through a swapped directory.
			info, err := r.Lstat(name)
			if err != nil {
				return fmt.Errorf("hashing: %s: %w", QuoteName(name), err)
			}
			if !info.Mode().IsRegular() {
				return &EntryError{Name: name, Err: ErrNotRegular}
			}
			files = append(files, File{Name: name, Path: filepath.Join(realRoot, filepath.FromSlash(name)), Size: info.Size(), root: r.dir, rel: name})
			return nil
		case t&fs.ModeSymlink != 0:
			if !opts.AllowSymlinks {
				return &EntryError{Name: name, Err: ErrSymlink}
			}
			f, ok, err := resolveLink(r, realRoot, name)
			if err != nil || !ok {
				return err
			}
			files = append(files, f)
			return nil
		default:
			return &EntryError{Name: name, Err: ErrNotRegular}
		}
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	return files, nil
}

// walkRoot is an os.Root with the identity of its directory.
type walkRoot struct {
	*os.Root
	dir *rootDir
}

func openRootDir(dir string) (*walkRoot, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("hashing: %w", err)
	}
	info, err := r.Stat(".")
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("hashing: %w", err)
	}
	id, _ := idOf(info)
	return &walkRoot{Root: r, dir: &rootDir{path: dir, id: id}}, nil
}

// reopen opens d again for hashing and checks it is still the directory
// that was walked.
func (d *rootDir) reopen() (*os.Root, error) {
	r, err := os.OpenRoot(d.path)
	if err != nil {
		return nil, fmt.Errorf("hashing: %w", err)
	}
	info, err := r.Stat(".")
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("hashing: %w", err)
	}
	if id, ok := idOf(info); ok && id != d.id {
		r.Close()
		return nil, fmt.Errorf("hashing: %s: directory replaced while hashing", QuoteName(d.path))
	}
	return r, nil
}

// resolveLink checks an allowed symlink and returns the file it stands
// for; ok is false for a link to a directory, which is not descended into
// (as the reference OMS tool does).
func resolveLink(r *walkRoot, realRoot, name string) (File, bool, error) {
	p := filepath.Join(realRoot, filepath.FromSlash(name))
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) || strings.Contains(err.Error(), "too many links") {
			return File{}, false, &EntryError{Name: name, Err: ErrSymlinkLoop}
		}
		return File{}, false, fmt.Errorf("hashing: %s: %w", QuoteName(name), err)
	}
	if target, err = filepath.Abs(target); err != nil {
		return File{}, false, fmt.Errorf("hashing: %w", err)
	}
	rel, err := filepath.Rel(realRoot, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return File{}, false, &EntryError{Name: name, Err: ErrSymlinkEscapes}
	}
	if rel == "." {
		return File{}, false, nil // a link to the root directory
	}
	// Stat the resolved target through the root, so that it cannot have
	// moved outside since EvalSymlinks.
	info, err := r.Lstat(rel)
	if err != nil {
		return File{}, false, fmt.Errorf("hashing: %s: %w", QuoteName(name), err)
	}
	switch {
	case info.IsDir():
		return File{}, false, nil
	case info.Mode().IsRegular():
		return File{Name: name, Path: target, Size: info.Size(), Symlink: true, root: r.dir, rel: filepath.ToSlash(rel)}, true, nil
	}
	return File{}, false, &EntryError{Name: name, Err: ErrNotRegular}
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
