#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds and opens the file a `RequestPath` names, never outside the root.
///
/// The second wall around the root (the first is `RequestPath`): the candidate's real path, after
/// the kernel has followed every symlink, must lie inside the root's real path. A symlink that
/// leads out answers 404, exactly as a missing file, so a client learns nothing about what lies
/// outside. The file is then opened by that real path with `O_NOFOLLOW` and `O_NONBLOCK` (a FIFO
/// cannot stall the event loop) and must be a regular file.
///
/// Dotfiles (any segment below the root that starts with `.`: `.git`, `.env`, `.htpasswd`) answer
/// 404 unless `servesDotfiles` (`service.dotfiles: true`): they are rarely meant for the public, and
/// are checked on the real path too, so a plainly named symlink to one does not serve it either.
///
/// The lookups are blocking system calls made on the event loop, as nginx makes them: on a local
/// root they hit the kernel's caches and cost less than a hop to a thread pool. The root's real
/// path is fixed when the server starts (or at the first request once it exists).
struct FileResolver: Sendable {
    /// A file opened for serving. The caller owns `descriptor` and must close it.
    struct OpenFile {
        var descriptor: CInt
        var size: UInt64
        var modified: Int64
        /// The name whose extension decides the media type (`index.html` for a directory).
        var name: String
    }

    enum Outcome {
        case file(OpenFile)
        /// A directory asked for without its trailing slash: redirect to `path/` (301).
        case redirectToDirectory
        case notFound
        /// Exists but may not be served: unreadable, or not a regular file.
        case forbidden
    }

    let root: String
    let servesDotfiles: Bool
    private let resolvedRoot: String?

    init(root: String, servesDotfiles: Bool = false) {
        self.root = root
        self.servesDotfiles = servesDotfiles
        self.resolvedRoot = Self.realPath(root)
    }

    func resolve(_ path: RequestPath) -> Outcome {
        guard let realRoot = resolvedRoot ?? Self.realPath(root) else { return .notFound }
        let candidate = path.segments.isEmpty ? realRoot : realRoot + "/" + path.relativePath
        switch openInside(candidate, realRoot: realRoot) {
        case .refused(let outcome):
            return outcome
        case .opened(let descriptor, let status) where Self.isDirectory(status):
            close(descriptor)
            guard path.hasTrailingSlash else { return .redirectToDirectory }
            let indexOpening = openInside(candidate + "/index.html", realRoot: realRoot)
            guard case .opened(let index, let indexStatus) = indexOpening else { return .notFound }
            return Self.served(index, indexStatus, name: "index.html")
        case .opened(let descriptor, let status):
            return Self.served(descriptor, status, name: path.segments.last ?? "")
        }
    }

    /// Whether the root is a folder this process can list and read (the health answer).
    func rootIsServable() -> Bool {
        var status = stat()
        return stat(root, &status) == 0 && Self.isDirectory(status) && access(root, R_OK | X_OK) == 0
    }

    /// Whether `path` is `root` or below it; both must be real (canonical, symlink-free) paths.
    static func isInside(_ path: String, root: String) -> Bool {
        guard root != "/" else { return path.utf8.first == UInt8(ascii: "/") }
        let path = path.utf8
        let root = root.utf8
        guard path.starts(with: root) else { return false }
        return path.count == root.count || path[path.index(path.startIndex, offsetBy: root.count)] == UInt8(ascii: "/")
    }

    /// The status a failed lookup or open answers: 403 when permission was refused, else 404.
    static func outcome(forErrno code: CInt) -> Outcome {
        code == EACCES || code == EPERM ? .forbidden : .notFound
    }

    private enum Opening {
        case opened(CInt, stat)
        case refused(Outcome)
    }

    private func openInside(_ candidate: String, realRoot: String) -> Opening {
        // Both the path asked for and the one the links lead to: either may name the dotfile.
        guard servesDotfiles || !Self.hasDotSegment(candidate, below: realRoot) else { return .refused(.notFound) }
        guard let real = Self.realPath(candidate) else { return .refused(Self.outcome(forErrno: errno)) }
        guard Self.isInside(real, root: realRoot) else { return .refused(.notFound) }
        guard servesDotfiles || !Self.hasDotSegment(real, below: realRoot) else { return .refused(.notFound) }
        return Self.openFile(real)
    }

    /// Whether a segment of `path` below `root` (a prefix of it) starts with a dot.
    static func hasDotSegment(_ path: String, below root: String) -> Bool {
        path.utf8.dropFirst(root.utf8.count).split(separator: UInt8(ascii: "/")).contains { $0.first == UInt8(ascii: ".") }
    }

    private static func openFile(_ real: String) -> Opening {
        let descriptor = open(real, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW)
        guard descriptor >= 0 else { return .refused(outcome(forErrno: errno)) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let code = errno
            close(descriptor)
            return .refused(outcome(forErrno: code))
        }
        return .opened(descriptor, status)
    }

    private static func served(_ descriptor: CInt, _ status: stat, name: String) -> Outcome {
        guard status.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            return .forbidden
        }
        #if canImport(Darwin)
        let modified = Int64(status.st_mtimespec.tv_sec)
        #else
        let modified = Int64(status.st_mtim.tv_sec)
        #endif
        return .file(OpenFile(descriptor: descriptor, size: UInt64(status.st_size), modified: modified, name: name))
    }

    private static func isDirectory(_ status: stat) -> Bool { status.st_mode & S_IFMT == S_IFDIR }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
