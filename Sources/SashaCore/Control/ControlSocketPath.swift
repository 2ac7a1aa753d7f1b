#if canImport(Glibc)
import Glibc
#endif
import SashaSDK

/// Where a member's control socket lives, `<control.dir>/<node address>.sock`, and the checks
/// around it: a Unix socket path fits in 107 bytes, the folder is the daemon user's own and no one
/// else may write to it (a new one is made 0700), and a socket file left by a daemon that died is
/// removed while one that still answers stops a second daemon for the same member from starting.
public struct ControlSocketPath: Sendable, CustomStringConvertible {
    /// `sun_path` holds 108 bytes, the last one a NUL.
    public static let maximumLength = 107

    public let folder: String
    public let path: String
    public var description: String { path }

    public struct Problem: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public init(folder: String, node: IPv4Address) throws(Problem) {
        self.folder = folder
        self.path = (folder.hasSuffix("/") ? folder : folder + "/") + "\(node).sock"
        guard path.utf8.count <= Self.maximumLength else {
            throw Problem(description: "control socket path \(path) is \(path.utf8.count) bytes, more than the "
                + "\(Self.maximumLength) a Unix socket path may have; set control.dir to a shorter folder")
        }
    }

    /// Makes the folder (mode 0700) if missing and clears the way for binding: refuses an unsafe
    /// folder (`checkFolder`), refuses when a live daemon answers on the socket, removes a dead
    /// one's socket file.
    public func claim(daemonUser: uid_t = geteuid()) throws(Problem) {
        var info = stat()
        // lstat of "dir/" would follow a link named dir: look at the name itself.
        var folder = folder
        while folder.count > 1 && folder.hasSuffix("/") { folder.removeLast() }
        if lstat(folder, &info) != 0 {
            guard errno == ENOENT, mkdir(folder, 0o700) == 0 || errno == EEXIST else {
                throw Problem(description: "cannot create control.dir \(folder): \(String(cString: strerror(errno)))")
            }
            guard lstat(folder, &info) == 0 else {
                throw Problem(description: "cannot read control.dir \(folder): \(String(cString: strerror(errno)))")
            }
        }
        try Self.checkFolder(folder, info, daemonUser: daemonUser)
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw Problem(description: "\(path) exists and is not a socket; remove it or change control.dir")
        }
        let answers: Bool
        do throws(ControlClient.Failure) {
            close(try ControlClient.connect(path))
            answers = true
        } catch .notRunning {
            answers = false
        } catch {
            throw Problem(description: "cannot check \(path): \(error)")
        }
        guard !answers else {
            throw Problem(description: "another sasha daemon for this member is running and answers on \(path); "
                + "stop it first (or ask it with `sasha status`)")
        }
        unlink(path)
    }

    /// The folder holds the socket that swaps policies, so whoever can write to it (or swap it for a
    /// link) could put their own socket in the daemon's place or unlink the daemon's: it must be a
    /// real folder (a symbolic link is never followed), owned by the daemon's user, and writable by
    /// nobody else. An existing folder is never changed, only refused with the fix.
    static func checkFolder(_ folder: String, _ info: stat, daemonUser: uid_t) throws(Problem) {
        switch info.st_mode & S_IFMT {
        case S_IFDIR: break
        case S_IFLNK:
            throw Problem(description: "control.dir \(folder) is a symbolic link, which the daemon does not follow; "
                + "set control.dir to the real folder")
        default:
            throw Problem(description: "control.dir \(folder) is not a folder")
        }
        guard info.st_uid == daemonUser else {
            throw Problem(description: "control.dir \(folder) is owned by uid \(info.st_uid), not by the daemon's user "
                + "(uid \(daemonUser)); run `chown \(daemonUser) \(folder)` or remove it so that the daemon makes its own")
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o022 == 0 else {
            throw Problem(description: "control.dir \(folder) is writable by \(mode & 0o002 != 0 ? "anyone" : "its group") "
                + "(mode \(String(mode, radix: 8))); run `chmod 700 \(folder)`")
        }
    }

    /// Narrows the bound socket to its owner. The folder's 0700 already keeps others out; this
    /// keeps the file itself right even when the folder was made wider by hand.
    func restrict() {
        chmod(path, 0o600)
    }
}
