#if canImport(Glibc)
import Glibc
#endif
import SashaSDK

/// Where a member's control socket lives, `<control.dir>/<node address>.sock`, and the checks
/// around it: a Unix socket path fits in 107 bytes, the folder is private (0700), and a socket
/// file left by a daemon that died is removed while one that still answers stops a second daemon
/// for the same member from starting.
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

    /// Makes the folder (mode 0700) if missing and clears the way for binding: refuses when a
    /// live daemon answers on the socket, removes a dead one's socket file.
    public func claim() throws(Problem) {
        var info = stat()
        if stat(folder, &info) != 0 {
            guard errno == ENOENT, mkdir(folder, 0o700) == 0 || errno == EEXIST else {
                throw Problem(description: "cannot create control.dir \(folder): \(String(cString: strerror(errno)))")
            }
        } else if info.st_mode & S_IFMT != S_IFDIR {
            throw Problem(description: "control.dir \(folder) is not a folder")
        }
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

    /// Narrows the bound socket to its owner. The folder's 0700 already keeps others out; this
    /// keeps the file itself right even when the folder was made wider by hand.
    func restrict() {
        chmod(path, 0o600)
    }
}
