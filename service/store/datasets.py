"""The dataset store: a job's committed records and rejects, sealed into Parquet segments.

Redis holds the live part of a job (exactly-once commits, streaming to readers); its
history lives here, so Redis keeps a bounded window per job however large it grows.
A job's two streams (`records`, `rejects`) are each one sequence of JSON lines in commit
order; the line at position i is served at cursor offset i whether it is sealed or not.

Where: `SYNTHGEN_DATA_URL`, any fsspec URL (`s3://bucket/prefix`, `file:///srv/data`,
a plain path); unset, `{state_dir}/data`. Files, immutable once published:

    {root}/{job_id}/{kind}/{start:012d}-{end:012d}.parquet
    {root}/{job_id}/report.json   the job's report, once it has ended (service/reports.py)

columns `index` (int64: the line's position in the stream), `id` (the item id) and
`line` (the JSON line exactly as the API serves it), zstd, row groups of
ROW_GROUP rows (a reader of one page reads one or two row groups, never a whole file).

Redis keys (the job store's; store/jobs.py lists them with the rest):
- job hash fields `sealed:records`, `sealed:rejects`: how many lines of the stream are
  sealed. The Redis list holds the lines from there on: its index 0 is line `sealed`.
- `sg:job:{id}:segs:{kind}` sorted set: the published segments ("start-end"), by start.
- `sg:job:{id}:seal` string with TTL: the seal lock (jobs are sharded: several workers
  commit to one job, one of them seals at a time).
- `sg:jobs:unsealed` set: jobs that may still hold lines in Redis (final seal pending).
- `sg:job:{id}:report` string with TTL: the lock of the job's one report computation.

Sealing (`Sealer.seal`), crash-safe in this order:
1. take the job's seal lock (SET NX PX);
2. read `sealed` and the window's first lines in one MULTI (only ADVANCE trims the list,
   and only under the check below, so list index 0 is line `sealed` at that instant);
3. write the segment under a temporary name, then publish it under its deterministic
   name (the range it holds);
4. ADVANCE, atomically: only if `sealed` still equals the segment's start, LTRIM the
   sealed lines, move `sealed` to its end and index the segment.
A worker dying between 3 and 4 leaves a published file and an untouched Redis: the
next sealer starts at the same offset and publishes the same range again (a full
segment: the same name and lines; a shorter or longer one: the leftover is removed
first), so no line is lost or served twice. Readers only follow the Redis index, never
a directory listing. The item-id commit (COMMIT) stays the guard against duplicates
upstream.
"""

from __future__ import annotations

import asyncio
import os
import posixpath
import secrets
import signal
from typing import Any, AsyncIterator, Iterator

import msgspec
import redis.asyncio as aredis

from service import defaults

P = defaults.KEY_PREFIX
KINDS = ("records", "rejects")
UNSEALED = f"{P}:jobs:unsealed"
# A finished job's report, computed once from its streams (service/domain/report.py).
REPORT = "report.json"
# Rows per Parquet row group: one page of the API (<= MAX_STREAM_LIMIT lines) reads at
# most two of them, so a reader's memory is bounded whatever the segment's size.
ROW_GROUP = 1000


class _Id(msgspec.Struct):
    """The id of a stored line, nothing else decoded."""

    id: Any = ""


_ids = msgspec.json.Decoder(_Id)


def segs_key(job_id: str, kind: str) -> str:
    return f"{P}:job:{job_id}:segs:{kind}"


def seal_lock_key(job_id: str) -> str:
    return f"{P}:job:{job_id}:seal"


def report_lock_key(job_id: str) -> str:
    return f"{P}:job:{job_id}:report"


def list_key(job_id: str, kind: str) -> str:
    return f"{P}:job:{job_id}:{kind}"


def job_key(job_id: str) -> str:
    return f"{P}:job:{job_id}"


def segment_name(start: int, end: int) -> str:
    return f"{start:012d}-{end:012d}.parquet"


# KEYS: job hash, the stream's list, its segment index. ARGV: kind, start, end, name.
# 1 advanced; 0 another sealer advanced first (the caller's file may be a leftover).
ADVANCE = """
local sealed = tonumber(redis.call('HGET', KEYS[1], 'sealed:' .. ARGV[1]) or '0')
local start, stop = tonumber(ARGV[2]), tonumber(ARGV[3])
if sealed ~= start then return 0 end
redis.call('LTRIM', KEYS[2], stop - start, -1)
redis.call('HSET', KEYS[1], 'sealed:' .. ARGV[1], stop)
redis.call('ZADD', KEYS[3], start, ARGV[4])
return 1
"""

# KEYS: job hash, the stream's list. ARGV: kind, offset, limit. Returns {sealed, lines...}:
# the lines from `offset` when it is in the live window, else only `sealed` (the caller
# reads the segments). One step, so a seal cannot move the window between the two reads.
READ = """
local sealed = tonumber(redis.call('HGET', KEYS[1], 'sealed:' .. ARGV[1]) or '0')
local offset, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {sealed}
if offset >= sealed then
  local lines = redis.call('LRANGE', KEYS[2], offset - sealed, offset - sealed + limit - 1)
  for i = 1, #lines do out[#out + 1] = lines[i] end
end
return out
"""

# Releases the seal lock if this sealer still holds it.
UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


# Extends the seal lock if this sealer still holds it. ARGV: token, ttl ms. 1 held.
RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


def _fs(url: str) -> tuple[Any, str]:
    """(fsspec filesystem, root path within it) of a data URL or a local path."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(url)
    return fs, root.rstrip("/")


class DatasetFiles:
    """The segment files of every job, on one fsspec filesystem (blocking calls: the
    async callers run them in a thread)."""

    def __init__(self, url: str, storage_options: dict[str, Any] | None = None):
        self.url = url
        if storage_options:
            import fsspec

            self.fs, root = fsspec.core.url_to_fs(url, **storage_options)
            self.root = root.rstrip("/")
        else:
            self.fs, self.root = _fs(url)

    @classmethod
    def from_settings(cls, settings: Any) -> "DatasetFiles":
        url = settings.data_url or os.path.join(os.path.abspath(settings.state_dir), "data")
        return cls(url)

    def job_dir(self, job_id: str) -> str:
        return posixpath.join(self.root, job_id)

    def path(self, job_id: str, kind: str, name: str) -> str:
        return posixpath.join(self.root, job_id, kind, name)

    def open_segment(self, job_id: str, kind: str, start: int, end: int) -> "SegmentWriter":
        """A writer of the segment holding lines start..end-1, under a temporary name
        (leftovers of a sealer that died at this offset removed first)."""
        name = segment_name(start, end)
        folder = posixpath.join(self.root, job_id, kind)
        self.fs.makedirs(folder, exist_ok=True)
        for old in self._names(folder):
            if old.startswith(f"{start:012d}-") and old != name:
                self.fs.rm(posixpath.join(folder, old))
        return SegmentWriter(self.fs, folder, name, start)

    def write(self, job_id: str, kind: str, start: int, ids: list[str], lines: list[bytes]) -> str:
        """Write lines start.. as one published segment at once; its name."""
        w = self.open_segment(job_id, kind, start, start + len(lines))
        w.write(ids, lines)
        return w.publish()

    def _names(self, folder: str) -> list[str]:
        self.fs.invalidate_cache(folder)  # an object store's listing cache may predate another process's write
        try:
            return [posixpath.basename(p.rstrip("/")) for p in self.fs.ls(folder, detail=False)]
        except FileNotFoundError:
            return []

    def remove(self, job_id: str, kind: str, name: str) -> None:
        try:
            self.fs.rm(self.path(job_id, kind, name))
        except FileNotFoundError:
            pass

    def read(self, job_id: str, kind: str, name: str, start: int, lo: int, hi: int) -> list[bytes]:
        """Lines lo..hi-1 (stream positions) of segment `name` (which starts at `start`),
        reading only the row groups that hold them."""
        import pyarrow.parquet as pq

        out: list[bytes] = []
        with self.fs.open(self.path(job_id, kind, name), "rb") as f:
            pf = pq.ParquetFile(f)
            first = 0
            for g in range(pf.metadata.num_row_groups):
                n = pf.metadata.row_group(g).num_rows
                a, b = start + first, start + first + n
                first += n
                if b <= lo or a >= hi:
                    continue
                col = pf.read_row_group(g, columns=["line"]).column("line")
                for v in col.slice(max(lo - a, 0), min(hi, b) - max(lo, a)).to_pylist():
                    out.append(v.encode())
        return out

    def iter_batches(self, job_id: str, kind: str, name: str, columns: list[str] | None = None) -> Iterator[Any]:
        """The segment's record batches (ROW_GROUP rows each), one at a time."""
        import pyarrow.parquet as pq

        with self.fs.open(self.path(job_id, kind, name), "rb") as f:
            yield from pq.ParquetFile(f).iter_batches(batch_size=ROW_GROUP, columns=columns)

    def write_report(self, job_id: str, data: bytes) -> None:
        """Store the job's report (`report.json` beside its streams): written under a
        temporary name, then published, so a reader sees all of it or none."""
        folder = self.job_dir(job_id)
        self.fs.makedirs(folder, exist_ok=True)
        tmp = posixpath.join(folder, f".tmp-{secrets.token_hex(6)}-{REPORT}")
        with self.fs.open(tmp, "wb") as f:
            f.write(data)
        self.fs.mv(tmp, posixpath.join(folder, REPORT))

    def read_report(self, job_id: str) -> bytes | None:
        path = posixpath.join(self.job_dir(job_id), REPORT)
        self.fs.invalidate_cache(self.job_dir(job_id))
        try:
            with self.fs.open(path, "rb") as f:
                data: bytes = f.read()
                return data
        except FileNotFoundError:
            return None

    def files(self, job_id: str) -> list[str]:
        """Every file under the job's folder (published or not)."""
        self.fs.invalidate_cache(self.job_dir(job_id))
        try:
            return sorted(self.fs.find(self.job_dir(job_id)))
        except FileNotFoundError:
            return []

    def delete_job(self, job_id: str) -> None:
        d = self.job_dir(job_id)
        self.fs.invalidate_cache(d)
        try:
            if self.fs.exists(d):
                self.fs.rm(d, recursive=True)
        except FileNotFoundError:
            pass


class SegmentWriter:
    """One segment being written: row group by row group into a temporary file, then
    published under its name (blocking calls, run in a thread)."""

    def __init__(self, fs: Any, folder: str, name: str, start: int):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.fs, self.folder, self.name, self.next = fs, folder, name, start
        self.tmp = posixpath.join(folder, f".tmp-{secrets.token_hex(6)}-{name}")
        self._f = fs.open(self.tmp, "wb")
        self._schema = pa.schema([("index", pa.int64()), ("id", pa.string()), ("line", pa.string())])
        self._w = pq.ParquetWriter(self._f, self._schema, compression="zstd")

    def write(self, ids: list[str], lines: list[bytes]) -> None:
        import pyarrow as pa

        n = len(lines)
        for i in range(0, n, ROW_GROUP):
            part = lines[i:i + ROW_GROUP]
            self._w.write_table(pa.table({
                "index": pa.array(range(self.next, self.next + len(part)), pa.int64()),
                "id": pa.array(ids[i:i + ROW_GROUP], pa.string()),
                "line": pa.array([line.decode() for line in part], pa.string()),
            }, schema=self._schema))
            self.next += len(part)

    def publish(self) -> str:
        self._w.close()
        self._f.close()
        self.fs.mv(self.tmp, posixpath.join(self.folder, self.name))
        return self.name

    def abort(self) -> None:
        try:
            self._w.close()
            self._f.close()
            self.fs.rm(self.tmp)
        except (OSError, FileNotFoundError):
            pass


class Segments:
    """A job's sealed lines as the job store reads and seals them: the Redis side
    (ADVANCE, READ, the index and the lock) and the files."""

    def __init__(self, client: aredis.Redis, files: DatasetFiles):
        self._r = client
        self.files = files
        self._advance = client.register_script(ADVANCE)
        self._read = client.register_script(READ)
        self._unlock = client.register_script(UNLOCK)
        self._renew = client.register_script(RENEW)

    # -- reading --------------------------------------------------------------------

    async def read(self, job_id: str, kind: str, offset: int, limit: int) -> list[bytes]:
        """Up to `limit` lines from stream position `offset`: sealed segments first, then
        the live window, seamlessly (a seal in between moves nothing a cursor points at)."""
        out: list[bytes] = []
        while limit > 0:
            res = await self._read(keys=[job_key(job_id), list_key(job_id, kind)], args=[kind, offset, limit])
            sealed = int(res[0])
            if offset >= sealed:
                out.extend(res[1:])
                return out
            found = await self._r.zrevrangebyscore(segs_key(job_id, kind), offset, "-inf", start=0, num=1,
                                                   withscores=True)
            if not found:  # cannot happen: every sealed line is in an indexed segment
                raise RuntimeError(f"job {job_id}: {kind} line {offset} is sealed but in no segment")
            name = found[0][0].decode()
            start, end = (int(x) for x in name.removesuffix(".parquet").split("-"))
            hi = min(end, offset + limit)
            lines = await asyncio.to_thread(self.files.read, job_id, kind, name, start, offset, hi)
            out.extend(lines)
            limit -= len(lines)
            offset += len(lines)
        return out

    async def iter_lines(self, job_id: str, kind: str, page: int = 5000) -> AsyncIterator[list[bytes]]:
        """The whole stream, page by page."""
        offset = 0
        while True:
            lines = await self.read(job_id, kind, offset, page)
            if lines:
                yield lines
            if len(lines) < page:
                return
            offset += len(lines)

    async def segments(self, job_id: str, kind: str) -> list[str]:
        return [m.decode() for m in await self._r.zrange(segs_key(job_id, kind), 0, -1)]

    async def sealed(self, job_id: str) -> dict[str, int]:
        vals = await self._r.hmget(job_key(job_id), [f"sealed:{k}" for k in KINDS])
        return {k: int(v or 0) for k, v in zip(KINDS, vals)}

    # -- sealing --------------------------------------------------------------------

    async def windows(self, job_id: str) -> dict[str, int]:
        """How many lines each stream holds in Redis (not sealed yet)."""
        async with self._r.pipeline(transaction=False) as p:
            for kind in KINDS:
                p.llen(list_key(job_id, kind))
            return dict(zip(KINDS, (int(n) for n in await p.execute())))

    async def seal(self, job_id: str, *, every: int, partial: bool,
                   lock_s: float = defaults.SEAL_LOCK_SECONDS) -> int:
        """Seal what the job's windows hold: whole segments of `every` lines, and with
        `partial` the rest too (a segment of what there is: the time trigger, or the job's
        end). Returns lines sealed; 0 when nothing was due or another sealer holds the lock."""
        windows = await self.windows(job_id)
        if not any(n >= every or (n and partial) for n in windows.values()):
            return 0
        token = secrets.token_hex(8)
        if not await self._r.set(seal_lock_key(job_id), token, nx=True, px=int(lock_s * 1000)):
            return 0
        total = 0
        try:
            for kind in KINDS:
                while True:
                    async with self._r.pipeline(transaction=True) as p:
                        p.hget(job_key(job_id), f"sealed:{kind}")
                        p.llen(list_key(job_id, kind))
                        raw_sealed, held = await p.execute()
                    start, count = int(raw_sealed or 0), min(int(held), every)
                    if not count or (count < every and not partial):
                        break
                    sealed = await self._seal_one(job_id, kind, start, count)
                    if not sealed:
                        return total
                    total += sealed
                    if count < every:
                        break
                    if not await self._renew(keys=[seal_lock_key(job_id)], args=[token, int(lock_s * 1000)]):
                        return total  # lost the lock (a stall longer than its TTL): another sealer goes on
        finally:
            await self._unlock(keys=[seal_lock_key(job_id)], args=[token])
        return total

    async def _seal_one(self, job_id: str, kind: str, start: int, count: int) -> int:
        """Seal the window's first `count` lines (stream positions start..): read and
        written one row group at a time, so a sealer holds ROW_GROUP lines, not a
        segment. Each page is read with `sealed` in one MULTI: list index 0 is line
        `start` only while `sealed` is still `start` (a sealer whose lock expired while
        another advanced stops here, its file removed)."""
        writer = await asyncio.to_thread(self.files.open_segment, job_id, kind, start, start + count)
        try:
            for off in range(0, count, ROW_GROUP):
                async with self._r.pipeline(transaction=True) as p:
                    p.hget(job_key(job_id), f"sealed:{kind}")
                    p.lrange(list_key(job_id, kind), off, min(off + ROW_GROUP, count) - 1)
                    now_sealed, lines = await p.execute()
                if int(now_sealed or 0) != start or len(lines) != min(ROW_GROUP, count - off):
                    await asyncio.to_thread(writer.abort)
                    return 0
                ids = [str(_ids.decode(line).id) for line in lines]
                await asyncio.to_thread(writer.write, ids, lines)
            name = await asyncio.to_thread(writer.publish)
        except BaseException:
            await asyncio.to_thread(writer.abort)
            raise
        _fault_after_publish()
        ok = await self._advance(keys=[job_key(job_id), list_key(job_id, kind), segs_key(job_id, kind)],
                                 args=[kind, start, start + count, name])
        if not ok:
            # Another sealer advanced first (our lock expired mid-write): keep its file.
            if name not in await self.segments(job_id, kind):
                await asyncio.to_thread(self.files.remove, job_id, kind, name)
            return 0
        return count

    async def lock_report(self, job_id: str, token: str, ttl_s: float) -> bool:
        """Take the job's report lock (one computation of the stored report)."""
        return bool(await self._r.set(report_lock_key(job_id), token, nx=True, px=int(ttl_s * 1000)))

    async def unlock_report(self, job_id: str, token: str) -> None:
        await self._unlock(keys=[report_lock_key(job_id)], args=[token])

    async def delete_files(self, job_id: str) -> None:
        await asyncio.to_thread(self.files.delete_job, job_id)

    async def mark_unsealed(self, job_id: str) -> None:
        await self._r.sadd(UNSEALED, job_id)

    async def unsealed(self) -> list[str]:
        return [m.decode() for m in await self._r.smembers(UNSEALED)]



# Test only (with SYNTHGEN_TEST_RECIPES=1): SIGKILL the process right after a segment is
# published and before ADVANCE, the window a crash-safety test must hit.
_FAULT = os.environ.get("SYNTHGEN_TEST_RECIPES") == "1" and os.environ.get("SYNTHGEN_TEST_SEAL_KILL") == "1"


def _fault_after_publish() -> None:
    if _FAULT and not os.path.exists(os.environ.get("SYNTHGEN_TEST_SEAL_KILL_DONE", "/nonexistent")):
        marker = os.environ.get("SYNTHGEN_TEST_SEAL_KILL_DONE")
        if marker:
            open(marker, "w").close()  # once: the worker that resumes seals normally
        os.kill(os.getpid(), signal.SIGKILL)
