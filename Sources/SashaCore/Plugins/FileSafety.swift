#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The ownership and mode rules a plugin file and its folder must meet before the loader runs any
/// of its code: anyone who can write to them could make the daemon run their code.
enum FileSafety {
    /// Returns why `path` (a plugin file) or its folder is unsafe, or nil when both are fine.
    static func refusal(for path: String, daemonUser: uid_t = geteuid()) -> PluginRefusal? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return PluginRefusal(path: path, reason: "cannot read it (\(String(cString: strerror(errno))))",
                                 fix: "check the path in plugins.paths")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            return PluginRefusal(path: path, reason: "not a regular file", fix: "point plugins.paths at the folder that holds the .so files")
        }
        if let problem = problem(with: info, at: path, daemonUser: daemonUser) { return problem }
        let folder = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let folderPath = folder.isEmpty ? (path.hasPrefix("/") ? "/" : ".") : folder
        guard stat(folderPath, &info) == 0 else { return nil }
        return problem(with: info, at: folderPath, daemonUser: daemonUser)
    }

    private static func problem(with info: stat, at path: String, daemonUser: uid_t) -> PluginRefusal? {
        let mode = info.st_mode & 0o7777
        if mode & 0o022 != 0 {
            return PluginRefusal(
                path: path,
                reason: "refused: writable by \(mode & 0o002 != 0 ? "anyone" : "its group") (mode \(String(mode, radix: 8)))",
                fix: "run 'chmod go-w \(path)'")
        }
        if info.st_uid != 0 && info.st_uid != daemonUser {
            return PluginRefusal(
                path: path,
                reason: "refused: owned by uid \(info.st_uid), not by root or the daemon's user (uid \(daemonUser))",
                fix: "run 'chown \(daemonUser == 0 ? "root" : String(daemonUser)) \(path)'")
        }
        return nil
    }
}
