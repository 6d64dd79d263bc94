//go:build ignore

// mkarchives writes the archive-layer vectors in testdata/archives: one
// good tree and the hostile archives that Pull and Sign must refuse.
// Sparse entries come from GNU tar, which is what writes them in the
// wild. Run from the oci directory: go run testdata/mkarchives.go
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
)

type entry struct {
	name string
	typ  byte
	body string
	link string
	size int64 // for zero-filled bodies
}

func tarOf(es ...entry) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range es {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: 0o644, ModTime: time.Unix(0, 0)}
		if e.typ == tar.TypeReg {
			h.Size = int64(len(e.body)) + e.size
		}
		if e.typ == tar.TypeChar || e.typ == tar.TypeBlock {
			h.Devmajor, h.Devminor = 1, 3
		}
		if e.typ == tar.TypeXGlobalHeader {
			h = &tar.Header{Typeflag: e.typ, Name: e.name, PAXRecords: map[string]string{"comment": "global"}}
		}
		must(tw.WriteHeader(h))
		if e.typ == tar.TypeReg {
			_, err := tw.Write([]byte(e.body))
			must(err)
			zeros := make([]byte, 1<<20)
			for left := e.size; left > 0; left -= int64(len(zeros)) {
				_, err := tw.Write(zeros[:min(left, int64(len(zeros)))])
				must(err)
			}
		}
	}
	must(tw.Close())
	return b.Bytes()
}

func reg(name, body string) entry { return entry{name: name, typ: tar.TypeReg, body: body} }

func gz(b []byte) []byte {
	var out bytes.Buffer
	w, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
	_, err := w.Write(b)
	must(err)
	must(w.Close())
	return out.Bytes()
}

func zst(b []byte) []byte {
	w, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	must(err)
	return w.EncodeAll(b, nil)
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func main() {
	dir := filepath.Join("testdata", "archives")
	write := func(name string, b []byte) { must(os.WriteFile(filepath.Join(dir, name), b, 0o644)) }

	good := tarOf(
		entry{typ: tar.TypeXGlobalHeader, name: "pax_global_header"},
		entry{name: "./", typ: tar.TypeDir},
		entry{name: "./weights/", typ: tar.TypeDir},
		reg("./weights/model.bin", "weights"),
		reg("config.json", `{"layers": 2}`),
		entry{name: "empty/", typ: tar.TypeDir},
	)
	write("good_tree.tar", good)
	write("good_tree.tar.gz", gz(good))
	write("good_tree.tar.zst", zst(good))

	write("fail_dotdot.tar", tarOf(reg("../escape", "x")))
	write("fail_dotdot_inner.tar", tarOf(reg("a/../../escape", "x")))
	write("fail_dotdot_long_name.tar", tarOf(reg(strings.Repeat("x", 120)+"/../../escape", "x")))
	write("fail_absolute.tar", tarOf(reg("/tmp/escape", "x")))
	write("fail_backslash.tar", tarOf(reg(`..\escape`, "x")))
	write("fail_symlink.tar", tarOf(entry{name: "link", typ: tar.TypeSymlink, link: "/etc/passwd"}))
	write("fail_symlink_dir_then_file.tar", tarOf(entry{name: "d", typ: tar.TypeSymlink, link: "/tmp"}, reg("d/escape", "x")))
	write("fail_hardlink.tar", tarOf(reg("a", "x"), entry{name: "b", typ: tar.TypeLink, link: "/etc/passwd"}))
	write("fail_chardev.tar", tarOf(entry{name: "null", typ: tar.TypeChar}))
	write("fail_blockdev.tar", tarOf(entry{name: "disk", typ: tar.TypeBlock}))
	write("fail_fifo.tar", tarOf(entry{name: "pipe", typ: tar.TypeFifo}))
	write("fail_duplicate.tar", tarOf(reg("a", "first"), reg("a", "second")))
	write("fail_file_then_dir.tar", tarOf(reg("a", "x"), reg("a/b", "y")))
	write("fail_dir_then_file.tar", tarOf(reg("a/b", "y"), reg("a", "x")))
	many := []entry{}
	for i := range 50 {
		many = append(many, reg("f"+string(rune('a'+i%26))+strings.Repeat("x", i/26), ""))
	}
	write("fail_too_many_entries.tar", tarOf(many...))
	// Cut inside weights/model.bin's bytes.
	write("fail_truncated.tar", good[:2563])
	write("fail_not_gzip.tar.gz", []byte("this is not gzip data"))
	write("fail_not_zstd.tar.zst", []byte("this is not zstd data"))
	// Bombs: 256 MiB of zeros that gzip packs about 1000:1 (refused under
	// a lowered MaxRatio) and 1 GiB that zstd packs far beyond the
	// default ratio bound.
	write("fail_bomb.tar.gz", gz(tarOf(entry{name: "zeros", typ: tar.TypeReg, size: 256 << 20})))
	write("fail_bomb.tar.zst", zst(tarOf(entry{name: "zeros", typ: tar.TypeReg, size: 1 << 30})))

	// GNU tar's own sparse entry (type 'S'): 1 GiB of holes in a few bytes.
	tmp, err := os.MkdirTemp("", "sparse")
	must(err)
	defer os.RemoveAll(tmp)
	f, err := os.Create(filepath.Join(tmp, "holes"))
	must(err)
	must(f.Truncate(1 << 30))
	_, err = f.WriteAt([]byte("x"), 1<<29)
	must(err)
	must(f.Close())
	// The same as a PAX sparse entry (GNU.sparse.* records), which
	// GNU tar writes in its posix format.
	for name, format := range map[string]string{"fail_gnu_sparse.tar": "gnu", "fail_pax_sparse.tar": "posix"} {
		out, err := filepath.Abs(filepath.Join(dir, name))
		must(err)
		args := []string{"--format=" + format, "--sparse", "--mtime=@0", "--owner=0", "--group=0", "-cf", out, "holes"}
		if format == "posix" {
			args = append(args, "--pax-option=delete=atime,delete=ctime")
		}
		cmd := exec.Command("tar", args...)
		cmd.Dir = tmp
		cmd.Stderr = os.Stderr
		must(cmd.Run())
	}
}
