"""Resumable uploads: creating them, receiving bytes, turning a finished file into evidence, cleaning up.

Where the bytes go: one partial file per upload under ``DATA_DIR/uploads``, appended to in 4 MiB
pieces straight from the request stream, so no upload is ever held in memory. The partial file's
size on disk is the upload's offset (what the database says is a copy for lists and clean-up), and
an exclusive ``flock`` on it lets one request at a time append, across threads and worker processes.
Intermediate requests are not fsynced (that would make every PATCH wait for the disk): after a crash
the file holds a prefix of what was sent (ext4's ordered mode writes data before the size), HEAD
reports that size, and the client resumes from it. The complete file is fsynced before it becomes
evidence.

How the SHA-256 is computed while streaming, across resumed requests: a ``hashlib`` object cannot be
saved, so each process keeps the running hash of each upload in memory, keyed by the upload's id
together with the offset it has hashed up to. A request that finds its process holds the hash up to
the current offset goes on from there. One whose process holds an older state (another worker took the
requests since) hashes only the bytes appended since, from disk, in 1 MiB pieces; one whose process
never saw the upload (or the server restarted) hashes the prefix from the start. So each process hashes
each byte at most once, however a client's requests alternate between worker processes, and the
finished file is never re-read to hash it.

When the last byte arrives the type is decided from the content (see ``content.py``); an accepted
file is moved, not copied, into evidence storage when that is a local disk on the same file system.

With an S3-compatible store the bytes go straight into it instead (``streaming``): the partial file is
only a spool for the part being filled, each full part is sent as part of an S3 multipart upload, and the
parts, the spool length and a resumable SHA-256 state are recorded in the database, which any process
goes on from (docs/decisions/0010-tus-straight-to-the-object-store.md)."""
