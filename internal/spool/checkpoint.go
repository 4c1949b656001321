package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// position is a place in the spool: a frame boundary in segment seg, and
// idx, the number of records before it in that segment (for Stats only).
type position struct {
	seg uint64
	off int64
	idx int64
}

func (p position) less(q position) bool {
	return p.seg < q.seg || (p.seg == q.seg && p.off < q.off)
}

// Checkpoint file (36 bytes): magic "PWCK" | version u8 | 3 zero bytes |
// seg u64 | off i64 | idx i64 | crc32c(previous 32 bytes).
const (
	checkpointName = "checkpoint"
	checkpointLen  = 36
	ckMagic        = "PWCK"
)

var errCheckpoint = errors.New("checkpoint file is damaged")

func encodeCheckpoint(p position) []byte {
	b := make([]byte, 0, checkpointLen)
	b = append(b, ckMagic...)
	b = append(b, 1, 0, 0, 0)
	b = binary.LittleEndian.AppendUint64(b, p.seg)
	b = binary.LittleEndian.AppendUint64(b, uint64(p.off))
	b = binary.LittleEndian.AppendUint64(b, uint64(p.idx))
	return binary.LittleEndian.AppendUint32(b, crc(b))
}

func decodeCheckpoint(b []byte) (position, error) {
	if len(b) != checkpointLen || string(b[:4]) != ckMagic || b[4] != 1 ||
		binary.LittleEndian.Uint32(b[32:]) != crc(b[:32]) {
		return position{}, errCheckpoint
	}
	return position{
		seg: binary.LittleEndian.Uint64(b[8:]),
		off: int64(binary.LittleEndian.Uint64(b[16:])),
		idx: int64(binary.LittleEndian.Uint64(b[24:])),
	}, nil
}

// readCheckpoint returns the stored position; found is false when there is
// no checkpoint yet.
func readCheckpoint(fsys FS, dir string) (p position, found bool, err error) {
	f, err := fsys.OpenFile(filepath.Join(dir, checkpointName), os.O_RDONLY, 0)
	if errors.Is(err, os.ErrNotExist) {
		return position{}, false, nil
	}
	if err != nil {
		return position{}, false, err
	}
	defer f.Close()
	b := make([]byte, checkpointLen+1)
	n, err := f.ReadAt(b, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return position{}, false, err
	}
	p, err = decodeCheckpoint(b[:n])
	return p, true, err
}

// writeCheckpoint replaces the checkpoint atomically: a crash leaves either
// the old or the new one, never a mix. A failed attempt removes its
// temporary file, so a full disk gets back the block it took.
func writeCheckpoint(fsys FS, dir string, p position, crash func(string)) error {
	tmp := filepath.Join(dir, checkpointName+".tmp")
	f, err := fsys.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("write spool checkpoint: %w", err)
	}
	_, err = f.Write(encodeCheckpoint(p))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		crash("checkpoint-before-rename")
		err = fsys.Rename(tmp, filepath.Join(dir, checkpointName))
	}
	if err != nil {
		_ = fsys.Remove(tmp)
		return fmt.Errorf("write spool checkpoint: %w", err)
	}
	if err := fsys.SyncDir(dir); err != nil {
		return fmt.Errorf("write spool checkpoint: sync directory: %w", err)
	}
	return nil
}
