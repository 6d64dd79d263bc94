package provenance_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mlsec-dev/mlsec/internal/testenv"
	"github.com/mlsec-dev/mlsec/provenance"
)

// writeTree creates files (slash paths → content) under a new directory.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return dir
}

var sampleDataset = map[string]string{
	"train/part-0.csv": "id,text,label\n1,good,1\n2,bad,0\n",
	"train/part-1.csv": "id,text,label\n3,fine,1\n",
	"test/part-0.csv":  "id,text,label\n4,awful,0\n",
	"README":           "reviews dataset\n",
	"Zeta.txt":         "upper case sorts before lower case in C order\n",
}

// The root digest equals the in-toto dirHash as coreutils computes it:
// find . -type f | cut -c3- | LC_ALL=C sort | xargs -r sha256sum | sha256sum
func TestManifestMatchesCoreutils(t *testing.T) {
	sh := testenv.LookPath(t, "sh")
	testenv.LookPath(t, "sha256sum")
	dir := writeTree(t, sampleDataset)
	m, err := provenance.BuildManifest(context.Background(), dir, provenance.ManifestOptions{Workers: 3})
	require.NoError(t, err)
	cmd := exec.Command(sh, "-c", "find . -type f | cut -c3- | LC_ALL=C sort | xargs -r sha256sum | sha256sum")
	cmd.Dir = dir
	out, err := cmd.Output()
	require.NoError(t, err)
	require.Equal(t, strings.Fields(string(out))[0], m.Root["dirHash"])
	require.Len(t, m.Files, 5)
	require.Equal(t, "README", m.Files[0].Path)
	require.Equal(t, "Zeta.txt", m.Files[1].Path)
	var total int64
	for _, c := range sampleDataset {
		total += int64(len(c))
	}
	require.Equal(t, total, m.Size)
}

func TestManifestStableUnderOrdering(t *testing.T) {
	dir := writeTree(t, sampleDataset)
	m, err := provenance.BuildManifest(context.Background(), dir, provenance.ManifestOptions{})
	require.NoError(t, err)
	rev := make([]provenance.ManifestFile, len(m.Files))
	for i, f := range m.Files {
		rev[len(rev)-1-i] = f
	}
	m2, err := provenance.NewManifest(rev)
	require.NoError(t, err)
	require.Equal(t, m.Root, m2.Root)
	require.Equal(t, m.Files, m2.Files)

	// One worker or many, same result.
	m3, err := provenance.BuildManifest(context.Background(), dir, provenance.ManifestOptions{Workers: 1})
	require.NoError(t, err)
	require.Equal(t, m, m3)
}

func TestManifestRoundTripAndTamper(t *testing.T) {
	dir := writeTree(t, sampleDataset)
	m, err := provenance.BuildManifest(context.Background(), dir, provenance.ManifestOptions{})
	require.NoError(t, err)
	data, err := m.Marshal()
	require.NoError(t, err)
	back, err := provenance.ParseManifest(data)
	require.NoError(t, err)
	require.Equal(t, m, back)

	mutate := func(f func(m *provenance.Manifest)) []byte {
		var c provenance.Manifest
		require.NoError(t, json.Unmarshal(data, &c))
		f(&c)
		b, err := json.Marshal(&c)
		require.NoError(t, err)
		return b
	}
	bad := map[string][]byte{
		"changed digest": mutate(func(m *provenance.Manifest) { m.Files[0].Digest["sha256"] = hexA }),
		"root forged":    mutate(func(m *provenance.Manifest) { m.Root["dirHash"] = hexB }),
		"path escapes":   mutate(func(m *provenance.Manifest) { m.Files[0].Path = "../etc/passwd" }),
		"absolute path":  mutate(func(m *provenance.Manifest) { m.Files[0].Path = "/etc/passwd" }),
		"duplicate path": mutate(func(m *provenance.Manifest) { m.Files[1] = m.Files[0] }),
		"wrong size":     mutate(func(m *provenance.Manifest) { m.Size++ }),
		"media type":     mutate(func(m *provenance.Manifest) { m.MediaType = "x" }),
		"newline":        mutate(func(m *provenance.Manifest) { m.Files[0].Path = "a\nb" }),
		"not json":       []byte("{"),
	}
	for name, b := range bad {
		_, err := provenance.ParseManifest(b)
		require.Error(t, err, name)
		require.ErrorIs(t, err, provenance.ErrMalformed, name)
	}
}

func TestManifestDiff(t *testing.T) {
	ctx := context.Background()
	oldDir := writeTree(t, sampleDataset)
	newFiles := map[string]string{}
	for k, v := range sampleDataset {
		newFiles[k] = v
	}
	delete(newFiles, "README")
	newFiles["train/part-1.csv"] = "id,text,label\n3,fine,0\n" // relabelled: a poisoning
	newFiles["train/part-2.csv"] = "id,text,label\n5,new,1\n"
	newDir := writeTree(t, newFiles)
	a, err := provenance.BuildManifest(ctx, oldDir, provenance.ManifestOptions{})
	require.NoError(t, err)
	b, err := provenance.BuildManifest(ctx, newDir, provenance.ManifestOptions{})
	require.NoError(t, err)
	require.NotEqual(t, a.Root, b.Root)
	d := provenance.DiffManifests(a, b)
	require.False(t, d.Empty())
	require.Equal(t, []string{"train/part-2.csv"}, paths(d.Added))
	require.Equal(t, []string{"README"}, paths(d.Removed))
	require.Len(t, d.Changed, 1)
	require.Equal(t, "train/part-1.csv", d.Changed[0].Path)
	var sb strings.Builder
	require.NoError(t, d.WriteText(&sb))
	require.Contains(t, sb.String(), "~ train/part-1.csv")
	require.Contains(t, sb.String(), "1 added, 1 removed, 1 changed")
	require.True(t, provenance.DiffManifests(a, a).Empty())
}

func paths(fs []provenance.ManifestFile) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Path)
	}
	return out
}

func TestManifestRejectsSymlinks(t *testing.T) {
	dir := writeTree(t, sampleDataset)
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(dir, "link")))
	_, err := provenance.BuildManifest(context.Background(), dir, provenance.ManifestOptions{})
	require.Error(t, err)
	require.Contains(t, err.Error(), dir)
}

// A newline in a name would let two datasets share a root digest.
func TestManifestRejectsNewlineNames(t *testing.T) {
	dir := writeTree(t, map[string]string{"a\nb": "x"})
	_, err := provenance.BuildManifest(context.Background(), dir, provenance.ManifestOptions{})
	require.ErrorContains(t, err, "newline")
}

func TestManifestProgress(t *testing.T) {
	dir := writeTree(t, sampleDataset)
	var last, total int64
	_, err := provenance.BuildManifest(context.Background(), dir, provenance.ManifestOptions{Progress: func(d, tot int64) { last, total = d, tot }})
	require.NoError(t, err)
	require.Equal(t, total, last)
	require.Positive(t, total)
}
