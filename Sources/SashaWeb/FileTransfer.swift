import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One file body on its way out, written as a chain of `FileRegion` chunks (sendfile).
///
/// Chunks give the connection a heartbeat: each completed chunk is progress, so a client that
/// stops reading can be told apart from a slow download (nginx's `send_timeout`). They also let
/// the server notice a file truncated while it is served: sendfile then writes nothing, forever,
/// so before each chunk, and on every watchdog tick, the file's size is checked against what the
/// response promised, and a short file ends the connection.
struct FileTransfer {
    /// Big enough that sendfile calls stay few, small enough that a client reading at a few
    /// kilobytes a second still shows progress within the idle timeout.
    static let chunkSize = 256 * 1024

    let handle: NIOFileHandle
    let keepAlive: Bool
    private let end: Int
    private var next: Int
    /// When the last chunk finished (or the transfer started).
    var lastProgress: NIODeadline

    init(handle: NIOFileHandle, offset: UInt64, length: UInt64, keepAlive: Bool) {
        self.handle = handle
        self.keepAlive = keepAlive
        self.next = Int(offset)
        self.end = Int(offset + length)
        self.lastProgress = .now()
    }

    /// Bodies up to this size are read into memory and leave in one `writev` with the response
    /// head: one TCP segment instead of two (head, then sendfile), which costs both ends less.
    static let inlineLimit = 16 * 1024

    /// The whole remaining body read into a buffer (for bodies up to `inlineLimit`), or nil if the
    /// file no longer holds it.
    mutating func readInline(allocator: ByteBufferAllocator) -> ByteBuffer? {
        let count = end - next
        var buffer = allocator.buffer(capacity: count)
        let offset = off_t(next)
        let read = try? handle.withUnsafeFileDescriptor { descriptor in
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { bytes in
                max(0, pread(descriptor, bytes.baseAddress, count, offset))
            }
        }
        guard read == count else { return nil }
        next = end
        return buffer
    }

    /// The next chunk, and whether it is the last one.
    mutating func nextRegion() -> (region: FileRegion, isLast: Bool) {
        let chunkEnd = min(next + Self.chunkSize, end)
        let region = FileRegion(fileHandle: handle, readerIndex: next, endIndex: chunkEnd)
        next = chunkEnd
        return (region, chunkEnd == end)
    }

    /// Whether the file is now shorter than the bytes this response promised.
    func fileShrank() -> Bool {
        let size = try? handle.withUnsafeFileDescriptor { descriptor -> Int in
            var status = stat()
            return fstat(descriptor, &status) == 0 ? Int(status.st_size) : -1
        }
        return (size ?? -1) < end
    }
}
